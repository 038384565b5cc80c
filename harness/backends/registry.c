/*
 * registry.c - finding, loading and calling backends (see registry.h).
 *
 * Loading a plugin follows Redis's module loader: dlopen, find the one init
 * symbol, check the version and the table size before touching any other
 * member, then the mandatory members. Because a plugin's open() is the first
 * place where a broken plugin usually dies (a bad model file, a library
 * mismatch), the whole load + open + close is first run once in a forked
 * child: a crash there is reported with its signal and uh carries on.
 *
 * Every result a backend hands back is untrusted: the wrappers check counts,
 * log-probabilities, flags and text before the runner sees them, and free a
 * rejected batch through the backend's own free_* callback.
 */
#include "harness/backends/registry.h"
#include "harness/backends/ngram.h"
#include "harness/backends/null.h"
#include "harness/backends/openai.h"
#include "harness/backends/tgi.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Default seconds the probe child may take for load + open + close. */
#define PROBE_TIMEOUT_DEFAULT 30.0

/*
 * The size of the version-1 table. Members appended later lie beyond it, so
 * this stays fixed when sizeof(struct uh_backend_api) grows.
 */
#define V1_TABLE_SIZE \
	(offsetof(struct uh_backend_api, tokenize) + sizeof(((struct uh_backend_api *)0)->tokenize))

/* ------------------------------------------------------------ built-ins */

static const char *const builtin_names[] = { "ngram", "null", "openai", "tgi", NULL };

const char *const *uh_backend_builtin_names(void)
{
	return builtin_names;
}

static const struct uh_backend_api *builtin_api(const char *name)
{
	if (strcmp(name, "ngram") == 0)
		return uh_ngram_backend();
	if (strcmp(name, "null") == 0)
		return uh_null_backend();
	if (strcmp(name, "openai") == 0)
		return uh_openai_backend();
	if (strcmp(name, "tgi") == 0)
		return uh_tgi_backend();
	return NULL;
}

static int is_plugin_path(const char *name)
{
	size_t n = strlen(name);

	return strchr(name, '/') || (n >= 3 && strcmp(name + n - 3, ".so") == 0);
}

/* ------------------------------------------------------------ table checks */

/*
 * Check a table before any member beyond abi_version and size is read.
 * who is "plugin 'x.so'" or "backend 'ngram'".
 */
static int check_table(const struct uh_backend_api *t, const char *who, struct uh_err *err)
{
	if (t->abi_version != UH_BACKEND_ABI_VERSION)
		return uh_err_set(err, UH_EINVAL, "%s was built for backend ABI %u, uh speaks %u", who,
				  (unsigned)t->abi_version, (unsigned)UH_BACKEND_ABI_VERSION);
	if (t->size < V1_TABLE_SIZE)
		return uh_err_set(err, UH_EINVAL,
				  "%s has a backend table of %u bytes, backend ABI %u needs at least %zu", who,
				  (unsigned)t->size, (unsigned)UH_BACKEND_ABI_VERSION, (size_t)V1_TABLE_SIZE);
	if (!t->open || !t->close)
		return uh_err_set(err, UH_EINVAL, "%s has no '%s' callback", who,
				  !t->open ? "open" : "close");
	if ((t->caps & UH_CAN_SCORE) && (!t->score || !t->free_score))
		return uh_err_set(err, UH_EINVAL, "%s sets UH_CAN_SCORE but has no '%s' callback", who,
				  !t->score ? "score" : "free_score");
	if ((t->caps & UH_CAN_GENERATE) && (!t->generate || !t->free_gen))
		return uh_err_set(err, UH_EINVAL, "%s sets UH_CAN_GENERATE but has no '%s' callback", who,
				  !t->generate ? "generate" : "free_gen");
	if ((t->caps & UH_CAN_TOKENIZE) && !t->tokenize)
		return uh_err_set(err, UH_EINVAL, "%s sets UH_CAN_TOKENIZE but has no 'tokenize' callback",
				  who);
	return 0;
}

/*
 * A backend's message, without a leading "<name>: " (ngram writes
 * "ngram: ..." and we prefix the name ourselves).
 */
static const char *strip_name(const char *msg, const char *api_name)
{
	size_t k = api_name ? strlen(api_name) : 0;

	if (k && strncmp(msg, api_name, k) == 0 && msg[k] == ':' && msg[k + 1] == ' ')
		return msg + k + 2;
	return msg;
}

/* Record a callback's failure: "backend 'x' failed in score: <its message>". */
static int callback_failed(const struct uh_backend_api *api, const char *name, const char *fn,
			   int status, const char *errbuf, int code, struct uh_err *err)
{
	if (!errbuf[0])
		return uh_err_set(err, code, "backend '%s' failed in %s (status %d, no message)", name, fn,
				  status);
	return uh_err_set(err, code, "backend '%s' failed in %s: %s", name, fn,
			  strip_name(errbuf, api->name));
}

/*
 * Call open(). A built-in's failure keeps its UH_E* code (an option mistake
 * is UH_EINVAL, exit status 2); a plugin knows no UH_E* codes: UH_EIO.
 */
static int call_open(const struct uh_backend_api *api, const char *name, int builtin,
		     const struct uh_backend_config *cfg, void **state, struct uh_err *err)
{
	char errbuf[UH_ERR_MSG_MAX];
	int rc;

	errbuf[0] = '\0';
	*state = NULL;
	rc = api->open(cfg, state, errbuf, sizeof(errbuf));
	if (rc == 0)
		return 0;
	errbuf[sizeof(errbuf) - 1] = '\0';
	return callback_failed(api, name, "open", rc, errbuf,
			       builtin && rc <= UH_EINVAL && rc >= UH_EINTERNAL ? rc : UH_EIO, err);
}

/* ------------------------------------------------------------ plugin loading */

/* Stage markers the probe child writes to its pipe before each step. */
#define STAGE_LOAD 'L'
#define STAGE_INIT 'I'
#define STAGE_OPEN 'O'
#define STAGE_CLOSE 'C'
#define PROBE_OK 'K'
#define PROBE_ERR 'E' /* followed by an int code and the message */

static const char *stage_name(char c)
{
	switch (c) {
	case STAGE_LOAD: return "dlopen";
	case STAGE_INIT: return UH_BACKEND_INIT_SYMBOL;
	case STAGE_OPEN: return "open";
	case STAGE_CLOSE: return "close";
	default: return "startup";
	}
}

static void mark(int fd, char c)
{
	if (fd >= 0) {
		ssize_t w = write(fd, &c, 1);
		(void)w; /* the parent reports a missing marker as an early stage */
	}
}

/* dlopen wants "./x.so" for a file in the current folder, or it searches the library path. */
static char *dl_path(const char *path)
{
	size_t n = strlen(path) + 3;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s%s", strchr(path, '/') ? "" : "./", path);
	return p;
}

/*
 * dlopen path, find the init symbol, check the table and open it. On
 * success b holds api, state and the handle (name is the caller's). fd >= 0
 * receives stage markers (the probe child).
 */
static int load_plugin(struct uh_backend *b, const char *path, const struct uh_backend_config *cfg,
		       int fd, struct uh_err *err)
{
	char who[512];
	char *p = dl_path(path);
	void *dl = NULL, *sym;
	uh_backend_init_fn init;
	const struct uh_backend_api *api;
	void *state = NULL;
	int rc;

	_Static_assert(sizeof(init) == sizeof(sym), "function and object pointers differ in size");
	snprintf(who, sizeof(who), "plugin '%s'", path);
	if (!p)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	mark(fd, STAGE_LOAD);
	dl = dlopen(p, RTLD_NOW | RTLD_LOCAL);
	free(p);
	if (!dl) {
		const char *e = dlerror();
		return uh_err_set(err, UH_EINVAL, "cannot load plugin '%s': %s", path, e ? e : "dlopen failed");
	}
	dlerror();
	sym = dlsym(dl, UH_BACKEND_INIT_SYMBOL);
	if (!sym) {
		rc = uh_err_set(err, UH_ENOTFOUND, "missing symbol '%s' in '%s'", UH_BACKEND_INIT_SYMBOL,
				path);
		goto fail_dlclose;
	}
	/* POSIX guarantees dlsym's object pointer converts to a function pointer */
	memcpy(&init, &sym, sizeof(init));
	mark(fd, STAGE_INIT);
	api = init(UH_BACKEND_ABI_VERSION);
	if (!api) {
		rc = uh_err_set(err, UH_EINVAL, "%s: %s(%u) returned NULL (it does not speak backend ABI %u)",
				who, UH_BACKEND_INIT_SYMBOL, (unsigned)UH_BACKEND_ABI_VERSION,
				(unsigned)UH_BACKEND_ABI_VERSION);
		goto fail_dlclose;
	}
	rc = check_table(api, who, err);
	if (rc < 0)
		goto fail_dlclose;
	mark(fd, STAGE_OPEN);
	rc = call_open(api, path, 0, cfg, &state, err);
	if (rc < 0)
		goto fail_dlclose;
	b->api = api;
	b->state = state;
	b->dl = dl;
	b->owns_state = 1;
	return 0;

fail_dlclose:
	dlclose(dl);
	return rc;
}

/* Seconds from UH_PLUGIN_PROBE_TIMEOUT (0: no probe). */
static int probe_timeout(double *secs, struct uh_err *err)
{
	const char *s = getenv("UH_PLUGIN_PROBE_TIMEOUT");
	char *end;

	*secs = PROBE_TIMEOUT_DEFAULT;
	if (!s || !*s)
		return 0;
	errno = 0;
	*secs = strtod(s, &end);
	if (errno || end == s || *end || !(*secs >= 0 && *secs <= 86400))
		return uh_err_set(err, UH_EINVAL,
				  "UH_PLUGIN_PROBE_TIMEOUT must be a number of seconds in [0, 86400], got '%s'", s);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The probe child: never returns. */
static void probe_child(int fd, const char *path, const struct uh_backend_config *cfg)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct rlimit nocore = { 0, 0 };
	struct uh_backend b;
	struct uh_err e;
	int rc;

	/* die by the signal (no sanitizer handler, no core file) so the parent sees it */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
	setrlimit(RLIMIT_CORE, &nocore);
	memset(&b, 0, sizeof(b));
	uh_err_clear(&e);
	rc = load_plugin(&b, path, cfg, fd, &e);
	if (rc == 0) {
		mark(fd, STAGE_CLOSE);
		b.api->close(b.state);
		mark(fd, PROBE_OK);
	} else {
		char msg[sizeof(int) + 1 + UH_ERR_MSG_MAX];
		size_t n = strlen(e.msg);

		msg[0] = PROBE_ERR;
		memcpy(msg + 1, &rc, sizeof(int));
		memcpy(msg + 1 + sizeof(int), e.msg, n);
		if (write(fd, msg, 1 + sizeof(int) + n) < 0)
			_exit(126);
	}
	/* _exit: no atexit handlers, no leak check of the handle we keep */
	_exit(0);
}

/*
 * Run load + open + close in a forked child. Returns 0 when the child got
 * through, else the error it reported or a description of how it died.
 */
static int probe_plugin(const char *path, const struct uh_backend_config *cfg, double timeout,
			struct uh_err *err)
{
	char buf[2 + sizeof(int) + UH_ERR_MSG_MAX + 64];
	size_t len = 0;
	int fds[2], status = 0, timed_out = 0, eof = 0;
	double deadline = now_s() + timeout;
	pid_t pid;
	char last = 0;

	if (pipe(fds) < 0)
		return uh_err_set(err, UH_EIO, "plugin '%s': cannot create a pipe for the probe: %s", path,
				  strerror(errno));
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return uh_err_set(err, UH_EIO, "plugin '%s': cannot fork the probe: %s", path,
				  strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		probe_child(fds[1], path, cfg);
	}
	close(fds[1]);

	/* Poll the pipe and the child; the child may leave helpers holding the pipe open. */
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			break;
		if (now_s() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			timed_out = 1;
			break;
		}
		if (!eof) {
			struct pollfd pfd = { .fd = fds[0], .events = POLLIN };

			if (poll(&pfd, 1, 20) > 0) {
				ssize_t k = read(fds[0], buf + len, sizeof(buf) - 1 - len);

				if (k > 0)
					len += (size_t)k;
				else if (k == 0 || len == sizeof(buf) - 1)
					eof = 1;
			}
		} else {
			struct timespec ts = { 0, 5 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	for (ssize_t k; len < sizeof(buf) - 1 && (k = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0;)
		len += (size_t)k;
	close(fds[0]);
	buf[len] = '\0';

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == PROBE_OK && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !timed_out)
			return 0;
		if (buf[i] == PROBE_ERR && len >= i + 1 + sizeof(int)) {
			int code;

			memcpy(&code, buf + i + 1, sizeof(int));
			if (code > UH_EINVAL || code < UH_EINTERNAL)
				code = UH_EINTERNAL;
			return uh_err_set(err, code, "%s", buf + i + 1 + sizeof(int));
		}
		last = buf[i];
	}
	if (timed_out)
		return uh_err_set(err, UH_EIO,
				  "plugin '%s' did not finish %s within %g s in the probe process (set UH_PLUGIN_PROBE_TIMEOUT to wait longer, 0 to skip the probe)",
				  path, stage_name(last), timeout);
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		const char *s = strsignal(sig);

		return uh_err_set(err, UH_EIO, "plugin '%s' crashed in %s (signal %d, %s)", path,
				  stage_name(last), sig, s ? s : "unknown signal");
	}
	return uh_err_set(err, UH_EIO, "plugin '%s' exited with status %d in %s", path,
			  WIFEXITED(status) ? WEXITSTATUS(status) : -1, stage_name(last));
}

static int open_plugin(struct uh_backend *b, const char *path, const struct uh_backend_config *cfg,
		       struct uh_err *err)
{
	struct stat st;
	double timeout;
	int rc;

	if (stat(path, &st) < 0)
		return uh_err_set(err, errno == ENOENT ? UH_ENOTFOUND : UH_EIO,
				  "plugin '%s' not found: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return uh_err_set(err, UH_EINVAL, "plugin '%s' is not a regular file", path);
	rc = probe_timeout(&timeout, err);
	if (rc < 0)
		return rc;
	if (timeout > 0) {
		rc = probe_plugin(path, cfg, timeout, err);
		if (rc < 0)
			return rc;
	}
	return load_plugin(b, path, cfg, -1, err);
}

/* ------------------------------------------------------------ open / close */

int uh_backend_open(struct uh_backend *b, const char *name_or_path,
		    const struct uh_backend_config *cfg, struct uh_err *err)
{
	const struct uh_backend_api *api;
	int rc;

	memset(b, 0, sizeof(*b));
	if (!name_or_path || !*name_or_path)
		return uh_err_set(err, UH_EINVAL, "no backend given (valid: ngram, null, openai, tgi, or a path to a .so plugin)");
	b->name = strdup(name_or_path);
	if (!b->name)
		return uh_err_set(err, UH_ENOMEM, "out of memory");

	if (is_plugin_path(name_or_path)) {
		rc = open_plugin(b, name_or_path, cfg, err);
	} else if ((api = builtin_api(name_or_path)) != NULL) {
		char who[256];

		snprintf(who, sizeof(who), "backend '%s'", name_or_path);
		rc = check_table(api, who, err);
		if (rc == 0)
			rc = call_open(api, name_or_path, 1, cfg, &b->state, err);
		if (rc == 0) {
			b->api = api;
			b->owns_state = 1;
		}
	} else {
		rc = uh_err_set(err, UH_EINVAL,
				"unknown backend '%s' (valid: ngram, null, openai, tgi, or a path to a .so plugin)",
				name_or_path);
	}
	if (rc < 0) {
		free(b->name);
		memset(b, 0, sizeof(*b));
	}
	return rc;
}

int uh_backend_wrap(struct uh_backend *b, const struct uh_backend_api *api, void *state,
		    const char *name, unsigned owns_state, struct uh_err *err)
{
	char who[256];
	int rc;

	memset(b, 0, sizeof(*b));
	if (!api || !name)
		return uh_err_set(err, UH_EINTERNAL, "uh_backend_wrap: NULL table or name");
	snprintf(who, sizeof(who), "backend '%s'", name);
	rc = check_table(api, who, err);
	if (rc < 0)
		return rc;
	b->name = strdup(name);
	if (!b->name)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	b->api = api;
	b->state = state;
	b->owns_state = owns_state;
	return 0;
}

void uh_backend_close(struct uh_backend *b)
{
	if (!b)
		return;
	if (b->api && b->owns_state)
		b->api->close(b->state);
	if (b->dl)
		dlclose(b->dl);
	free(b->name);
	memset(b, 0, sizeof(*b));
}

const char *uh_backend_model_id(const struct uh_backend *b)
{
	const char *id = b->api && b->api->model_id ? b->api->model_id(b->state) : NULL;

	return id && *id ? id : b->name;
}

int uh_backend_has(const struct uh_backend *b, uint32_t caps)
{
	return b->api && (b->api->caps & caps) == caps;
}

static int need_cap(const struct uh_backend *b, uint32_t cap, const char *what, struct uh_err *err)
{
	if (!b->api)
		return uh_err_set(err, UH_EINTERNAL, "backend is not open");
	if (!uh_backend_has(b, cap))
		return uh_err_set(err, UH_EINVAL, "backend '%s' cannot %s", b->name, what);
	return 0;
}

/* ------------------------------------------------------------ checking results */

/* Byte offset of the first invalid UTF-8 sequence in s, or -1 (RFC 3629: no overlongs, no surrogates). */
static long utf8_bad_offset(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; s[i];) {
		unsigned c = s[i];
		unsigned lo = 0x80, hi = 0xbf;
		size_t more;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return (long)i;
		}
		if (s[i + 1] < lo || s[i + 1] > hi)
			return (long)i;
		for (size_t k = 2; k <= more; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return (long)i;
		i += more + 1;
	}
	return -1;
}

/*
 * The most tokens a continuation of len bytes can have: one per byte (byte
 * fallback), a few specials (a SentencePiece prefix space) and the EOS.
 */
static int64_t max_score_tokens(size_t len, uint32_t flags)
{
	return (int64_t)len + 8 + (flags & UH_SCORE_EOS ? 1 : 0);
}

static int check_score(const struct uh_backend *b, const struct uh_score_req *q,
		       const struct uh_score_res *r, size_t i, struct uh_err *err)
{
	const char *nm = b->name;
	size_t clen = strlen(q->continuation);
	int64_t need = clen > 0 || q->flags & UH_SCORE_EOS ? 1 : 0;
	double sum = 0;
	int all_greedy = 1;

	if (r->n_tokens < need || r->n_tokens > max_score_tokens(clen, q->flags))
		return uh_err_set(err, UH_EINVAL,
				  "backend '%s' score request %zu: n_tokens is %lld for a continuation of %zu bytes%s",
				  nm, i, (long long)r->n_tokens, clen,
				  q->flags & UH_SCORE_EOS ? " plus EOS" : "");
	if (!isfinite(r->logprob) || r->logprob > 0)
		return uh_err_set(err, UH_EINVAL,
				  "backend '%s' score request %zu: logprob is %g (must be finite and <= 0)", nm,
				  i, r->logprob);
	if (r->n_tokens == 0 && r->logprob != 0)
		return uh_err_set(err, UH_EINVAL,
				  "backend '%s' score request %zu: logprob is %g for 0 tokens", nm, i,
				  r->logprob);
	if (r->is_greedy != 0 && r->is_greedy != 1)
		return uh_err_set(err, UH_EINVAL, "backend '%s' score request %zu: is_greedy is %d (must be 0 or 1)",
				  nm, i, (int)r->is_greedy);
	if (!(b->api->caps & UH_CAN_TOKEN_LOGPROBS) || r->n_tokens == 0)
		return 0;

	if (!r->token_logprobs || !r->token_greedy)
		return uh_err_set(err, UH_EINVAL, "backend '%s' score request %zu: %s is NULL", nm, i,
				  !r->token_logprobs ? "token_logprobs" : "token_greedy");
	for (int64_t t = 0; t < r->n_tokens; t++) {
		double x = r->token_logprobs[t];

		if (!isfinite(x) || x > 0)
			return uh_err_set(err, UH_EINVAL,
					  "backend '%s' score request %zu: token_logprobs[%lld] is %g (must be finite and <= 0)",
					  nm, i, (long long)t, x);
		if (r->token_greedy[t] > 1)
			return uh_err_set(err, UH_EINVAL,
					  "backend '%s' score request %zu: token_greedy[%lld] is %u (must be 0 or 1)",
					  nm, i, (long long)t, (unsigned)r->token_greedy[t]);
		sum += x;
		all_greedy &= r->token_greedy[t];
	}
	if (fabs(sum - r->logprob) > 1e-9 * fmax(fabs(sum), fabs(r->logprob)))
		return uh_err_set(err, UH_EINVAL,
				  "backend '%s' score request %zu: token_logprobs sum to %.17g but logprob is %.17g",
				  nm, i, sum, r->logprob);
	if (all_greedy != r->is_greedy)
		return uh_err_set(err, UH_EINVAL,
				  "backend '%s' score request %zu: is_greedy is %d but token_greedy says %d", nm,
				  i, (int)r->is_greedy, all_greedy);
	return 0;
}

static int check_gen(const struct uh_backend *b, const struct uh_gen_req *q,
		     const struct uh_gen_res *r, size_t i, struct uh_err *err)
{
	const char *nm = b->name;
	long bad;

	if (!r->text)
		return uh_err_set(err, UH_EINVAL, "backend '%s' generate request %zu: text is NULL", nm, i);
	if ((bad = utf8_bad_offset(r->text)) >= 0)
		return uh_err_set(err, UH_EINVAL,
				  "backend '%s' generate request %zu: text is not valid UTF-8 (byte %ld)", nm, i,
				  bad);
	if (r->n_tokens < 0 || r->n_tokens > q->max_new_tokens)
		return uh_err_set(err, UH_EINVAL,
				  "backend '%s' generate request %zu: n_tokens is %lld (max_new_tokens %d)", nm,
				  i, (long long)r->n_tokens, (int)q->max_new_tokens);
	if (r->finish_reason != UH_FINISH_LENGTH && r->finish_reason != UH_FINISH_STOP &&
	    r->finish_reason != UH_FINISH_EOS)
		return uh_err_set(err, UH_EINVAL,
				  "backend '%s' generate request %zu: finish_reason is %d (must be 0, 1 or 2)", nm,
				  i, (int)r->finish_reason);
	return 0;
}

/* ------------------------------------------------------------ wrappers */

int uh_backend_score(struct uh_backend *b, const struct uh_score_req *reqs, size_t n,
		     struct uh_score_res *res, struct uh_err *err)
{
	char errbuf[UH_ERR_MSG_MAX];
	int rc;

	if (n)
		memset(res, 0, n * sizeof(*res));
	rc = need_cap(b, UH_CAN_SCORE, "score (no UH_CAN_SCORE)", err);
	if (rc < 0 || n == 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (!reqs[i].context || !reqs[i].continuation)
			return uh_err_set(err, UH_EINVAL, "score request %zu has a NULL %s", i,
					  !reqs[i].context ? "context" : "continuation");

	errbuf[0] = '\0';
	rc = b->api->score(b->state, reqs, n, res, errbuf, sizeof(errbuf));
	if (rc != 0) {
		/* the backend released its results itself: the ABI frees only after success */
		errbuf[sizeof(errbuf) - 1] = '\0';
		memset(res, 0, n * sizeof(*res));
		return callback_failed(b->api, b->name, "score", rc, errbuf, UH_EIO, err);
	}
	for (size_t i = 0; i < n; i++) {
		rc = check_score(b, &reqs[i], &res[i], i, err);
		if (rc < 0) {
			uh_backend_free_score(b, res, n);
			return rc;
		}
	}
	return 0;
}

void uh_backend_free_score(struct uh_backend *b, struct uh_score_res *res, size_t n)
{
	if (!b->api || !res || n == 0)
		return;
	b->api->free_score(b->state, res, n);
	memset(res, 0, n * sizeof(*res));
}

int uh_backend_generate(struct uh_backend *b, const struct uh_gen_req *reqs, size_t n,
			struct uh_gen_res *res, struct uh_err *err)
{
	char errbuf[UH_ERR_MSG_MAX];
	int rc;

	if (n)
		memset(res, 0, n * sizeof(*res));
	rc = need_cap(b, UH_CAN_GENERATE, "generate (no UH_CAN_GENERATE)", err);
	if (rc < 0 || n == 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (!reqs[i].prompt)
			return uh_err_set(err, UH_EINVAL, "generate request %zu has a NULL prompt", i);
		if (reqs[i].max_new_tokens < 0)
			return uh_err_set(err, UH_EINVAL, "generate request %zu: max_new_tokens is %d", i,
					  (int)reqs[i].max_new_tokens);
		for (size_t k = 0; k < reqs[i].n_stop; k++)
			if (!reqs[i].stop[k])
				return uh_err_set(err, UH_EINVAL, "generate request %zu: stop[%zu] is NULL", i, k);
	}

	errbuf[0] = '\0';
	rc = b->api->generate(b->state, reqs, n, res, errbuf, sizeof(errbuf));
	if (rc != 0) {
		errbuf[sizeof(errbuf) - 1] = '\0';
		memset(res, 0, n * sizeof(*res));
		return callback_failed(b->api, b->name, "generate", rc, errbuf, UH_EIO, err);
	}
	for (size_t i = 0; i < n; i++) {
		rc = check_gen(b, &reqs[i], &res[i], i, err);
		if (rc < 0) {
			uh_backend_free_gen(b, res, n);
			return rc;
		}
	}
	return 0;
}

void uh_backend_free_gen(struct uh_backend *b, struct uh_gen_res *res, size_t n)
{
	if (!b->api || !res || n == 0)
		return;
	b->api->free_gen(b->state, res, n);
	memset(res, 0, n * sizeof(*res));
}

int uh_backend_tokenize(struct uh_backend *b, const char *text, int64_t *n_tokens,
			struct uh_err *err)
{
	char errbuf[UH_ERR_MSG_MAX];
	int64_t k = -1;
	int rc;

	*n_tokens = 0;
	rc = need_cap(b, UH_CAN_TOKENIZE, "tokenize (no UH_CAN_TOKENIZE)", err);
	if (rc < 0)
		return rc;
	if (!text)
		return uh_err_set(err, UH_EINVAL, "tokenize: NULL text");
	errbuf[0] = '\0';
	rc = b->api->tokenize(b->state, text, &k, errbuf, sizeof(errbuf));
	if (rc != 0) {
		errbuf[sizeof(errbuf) - 1] = '\0';
		return callback_failed(b->api, b->name, "tokenize", rc, errbuf, UH_EIO, err);
	}
	if (k < 0 || k > max_score_tokens(strlen(text), 0))
		return uh_err_set(err, UH_EINVAL, "backend '%s' tokenize: n_tokens is %lld for a text of %zu bytes",
				  b->name, (long long)k, strlen(text));
	*n_tokens = k;
	return 0;
}

/* ------------------------------------------------------------ token ids */

/* The table is large enough for the token-id members, the bit is set and they are all there. */
static int need_token_ids(const struct uh_backend *b, struct uh_err *err)
{
	const struct uh_backend_api *t = b->api;
	size_t need = offsetof(struct uh_backend_api, eos_id) + sizeof(t->eos_id);
	int rc = need_cap(b, UH_CAN_TOKEN_IDS, "handle token ids (no UH_CAN_TOKEN_IDS)", err);

	if (rc < 0)
		return rc;
	if (t->size < need)
		return uh_err_set(err, UH_EINVAL,
				  "backend '%s' sets UH_CAN_TOKEN_IDS but its table of %u bytes has no token-id members (needs %zu)",
				  b->name, (unsigned)t->size, need);
	if (!t->encode || !t->decode || !t->free_buf || !t->eos_id)
		return uh_err_set(err, UH_EINVAL, "backend '%s' sets UH_CAN_TOKEN_IDS but has no '%s' callback",
				  b->name, !t->encode ? "encode" : !t->decode ? "decode" :
				  !t->free_buf ? "free_buf" : "eos_id");
	return 0;
}

int uh_backend_encode(struct uh_backend *b, const char *text, int32_t **ids, size_t *n,
		      struct uh_err *err)
{
	char errbuf[UH_ERR_MSG_MAX];
	int32_t *got = NULL;
	size_t k = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if ((rc = need_token_ids(b, err)) < 0)
		return rc;
	if (!text)
		return uh_err_set(err, UH_EINVAL, "encode: NULL text");
	errbuf[0] = '\0';
	rc = b->api->encode(b->state, text, &got, &k, errbuf, sizeof(errbuf));
	if (rc != 0) {
		errbuf[sizeof(errbuf) - 1] = '\0';
		return callback_failed(b->api, b->name, "encode", rc, errbuf, UH_EIO, err);
	}
	if (k > (size_t)max_score_tokens(strlen(text), 0) || (k && !got)) {
		rc = uh_err_set(err, UH_EINVAL, "backend '%s' encode: %zu ids%s for a text of %zu bytes",
				b->name, k, k && !got ? " in a NULL array" : "", strlen(text));
		goto out;
	}
	for (size_t i = 0; i < k; i++)
		if (got[i] < 0) {
			rc = uh_err_set(err, UH_EINVAL, "backend '%s' encode: id %zu is %ld", b->name, i,
					(long)got[i]);
			goto out;
		}
	if (k) {
		*ids = malloc(k * sizeof(**ids));
		if (!*ids) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(*ids, got, k * sizeof(**ids));
	}
	*n = k;
out:
	if (got)
		b->api->free_buf(b->state, got);
	return rc;
}

int uh_backend_decode(struct uh_backend *b, const int32_t *ids, size_t n, char **text,
		      struct uh_err *err)
{
	char errbuf[UH_ERR_MSG_MAX];
	char *got = NULL;
	int rc;

	*text = NULL;
	if ((rc = need_token_ids(b, err)) < 0)
		return rc;
	if (n && !ids)
		return uh_err_set(err, UH_EINVAL, "decode: NULL ids");
	errbuf[0] = '\0';
	rc = b->api->decode(b->state, ids, n, &got, errbuf, sizeof(errbuf));
	if (rc != 0) {
		errbuf[sizeof(errbuf) - 1] = '\0';
		return callback_failed(b->api, b->name, "decode", rc, errbuf, UH_EIO, err);
	}
	if (!got)
		return uh_err_set(err, UH_EINVAL, "backend '%s' decode: text is NULL", b->name);
	*text = strdup(got);
	b->api->free_buf(b->state, got);
	if (!*text)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	return 0;
}

int uh_backend_eos_id(struct uh_backend *b, int32_t *id, struct uh_err *err)
{
	int rc;

	*id = -1;
	if ((rc = need_token_ids(b, err)) < 0)
		return rc;
	*id = b->api->eos_id(b->state);
	if (*id < 0)
		return uh_err_set(err, UH_EINVAL, "backend '%s' eos_id is %ld", b->name, (long)*id);
	return 0;
}

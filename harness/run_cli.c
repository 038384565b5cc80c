/*
 * run_cli.c - the options, the synthetic-set cache folder, the request cache
 * and the backend that both uh-run command lines share (harness/run_cli.h).
 */
#include "harness/run_cli.h"

#include "harness/backends/cache.h"
#include "harness/cli.h"
#include "harness/run.h"
#include "suites/synth_tofu.h"

#include <stdlib.h>
#include <string.h>

/* ================================================================ options */

void uh_run_cli_init(struct uh_run_cli *c)
{
	memset(c, 0, sizeof(*c));
	c->batch = UH_RUN_DEFAULT_BATCH;
}

void uh_run_cli_release(struct uh_run_cli *c)
{
	for (size_t i = 0; i < c->n_opts; i++)
		free(c->opt_keys[i]);
	c->n_opts = 0;
}

/* --opt KEY=VALUE: the key copied, the value borrowed. Returns an exit status. */
static int add_opt(struct uh_run_cli *c, const char *v)
{
	const char *eq = strchr(v, '=');

	if (!eq || eq == v) {
		fprintf(stderr, "uh run: --opt wants KEY=VALUE, got '%s'\n", v);
		return 2;
	}
	if (c->n_opts == UH_RUN_CLI_MAX_OPTS) {
		fprintf(stderr, "uh run: too many --opt (at most %d)\n", UH_RUN_CLI_MAX_OPTS);
		return 2;
	}
	if (!(c->opt_keys[c->n_opts] = strndup(v, (size_t)(eq - v)))) {
		fprintf(stderr, "uh run: out of memory\n");
		return 3;
	}
	c->opt_vals[c->n_opts++] = eq + 1;
	return 0;
}

/* A valued option of c (name is one of common_names). Returns an exit status. */
static int set_common(struct uh_run_cli *c, const char *name, const char *v)
{
	uint64_t x = 0;

	if (!strcmp(name, "--backend"))
		c->backend = v;
	else if (!strcmp(name, "--model"))
		c->model = v;
	else if (!strcmp(name, "--db"))
		c->db = v;
	else if (!strcmp(name, "--tag"))
		c->tag = v;
	else if (!strcmp(name, "--opt"))
		return add_opt(c, v);
	else if (!strcmp(name, "--seed")) {
		if (!uh_cli_parse_u64(v, UINT64_MAX >> 1, &x)) {
			fprintf(stderr, "uh run: --seed wants a non-negative integer, got '%s'\n", v);
			return 2;
		}
		c->seed = x;
	} else {
		if (!uh_cli_parse_u64(v, UH_RUN_MAX_BATCH, &x) || x == 0) {
			fprintf(stderr, "uh run: --batch wants an integer 1..65536, got '%s'\n", v);
			return 2;
		}
		c->batch = (size_t)x;
	}
	return 0;
}

/*
 * Read argv[*i]: a flag or a valued option of c is stored in c; one of
 * opts is stored in its str or handed to number. Returns an exit status.
 */
static int next(struct uh_run_cli *c, int argc, char **argv, int *i, const struct uh_run_cli_opt *opts,
		size_t n, int (*number)(void *ctx, const char *name, const char *value), void *ctx)
{
	static const char *const common_names[] = {
		"--backend", "--model", "--db", "--tag", "--opt", "--seed", "--batch",
	};
	const size_t n_common = sizeof(common_names) / sizeof(common_names[0]);
	const char *a = argv[*i], *v = NULL, *name = NULL;
	bool missing = false;
	size_t k;

	if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
		c->help = true;
		return 0;
	}
	if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
		c->quiet = true;
		return 0;
	}
	if (!strcmp(a, "--no-cache")) {
		c->no_cache = true;
		return 0;
	}
	if (!strcmp(a, "--cache-read-only")) {
		c->cache_read_only = true;
		return 0;
	}
	for (k = 0; k < n_common + n; k++) {
		name = k < n_common ? common_names[k] : opts[k - n_common].name;
		if ((v = uh_cli_opt_value(argc, argv, i, name, &missing)) || missing)
			break;
	}
	if (missing) {
		fprintf(stderr, "uh run: option '%s' needs a value\n", name);
		return 2;
	}
	if (!v) {
		fprintf(stderr, "uh run: %s '%s'\n", a[0] == '-' ? "unknown option" : "unexpected argument", a);
		return 2;
	}
	if (k < n_common)
		return set_common(c, name, v);
	if (!opts[k - n_common].str)
		return number(ctx, name, v);
	*opts[k - n_common].str = v;
	return 0;
}

int uh_run_cli_parse(struct uh_run_cli *c, int argc, char **argv, const struct uh_run_cli_opt *opts,
		     size_t n, int (*number)(void *ctx, const char *name, const char *value), void *ctx)
{
	for (int i = 1; i < argc; i++) {
		int rc = next(c, argc, argv, &i, opts, n, number, ctx);

		if (rc || c->help)
			return rc;
	}
	return 0;
}

char *uh_run_cli_command_line(int argc, char **argv)
{
	size_t n = 1;
	char *s, *p;

	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 3;
	if (!(s = p = malloc(n)))
		return NULL;
	for (int i = 0; i < argc; i++) {
		bool q = strpbrk(argv[i], " \t\n") != NULL;

		p += sprintf(p, "%s%s%s%s", i ? " " : "", q ? "'" : "", argv[i], q ? "'" : "");
	}
	return s;
}

/* ================================================================ data */

int uh_run_cli_data_dir(const char *dir, char *data, size_t len, struct uh_err *err)
{
	if (!uh_cli_is_dir(dir))
		return uh_err_set(err, UH_EINVAL, "--data '%s' is not a folder", dir);
	snprintf(data, len, "%s", dir);
	return 0;
}

void uh_run_cli_synth_dir(const char *db, const char *name, char *dir, size_t len)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		snprintf(dir, len, "%s/uh/%s", xdg, name);
	else if (home && *home)
		snprintf(dir, len, "%s/.cache/uh/%s", home, name);
	else
		snprintf(dir, len, "%s.cache/%s", db, name);
}

bool uh_run_cli_synth_cached(const char *dir, const char *marker, const char *const *files)
{
	char path[4400], buf[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, UH_SYNTH_MARKER);
	if (!(f = fopen(path, "rb")))
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (strcmp(buf, marker))
		return false;
	for (size_t i = 0; files[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (!uh_cli_is_file(path))
			return false;
	}
	return true;
}

/* ================================================================ the request cache and the backend */

static void warn_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "uh run: warning: %s\n", msg);
}

int uh_run_cli_cache_open(const struct uh_run_cli *c, const char *db, struct uh_cache **out,
			  struct uh_err *err)
{
	int rc;

	*out = NULL;
	/* the request cache lives in the same file, on its own connection */
	if (c->no_cache || !strcmp(db, ":memory:"))
		return 0;
	if ((rc = uh_cache_open(out, db, c->cache_read_only ? UH_CACHE_READONLY : 0, err)))
		return rc;
	uh_cache_set_warn(*out, warn_stderr, NULL);
	return 0;
}

int uh_run_cli_through_cache(struct uh_cache *cache, struct uh_backend *b, struct uh_backend *cb,
			     const struct uh_backend_config *cfg, struct uh_backend **use,
			     struct uh_err *err)
{
	*use = b;
	if (!cache)
		return 0;
	if (uh_cache_backend_wrap(cb, b, cache, cfg, err))
		return err->code;
	*use = cb;
	return 0;
}

int uh_run_cli_open_backend(const struct uh_run_cli *c, struct uh_cache *cache, struct uh_backend *b,
			    struct uh_backend *cb, struct uh_backend **use, struct uh_err *err)
{
	struct uh_backend_config cfg = {
		.model = c->model, .keys = (const char *const *)c->opt_keys, .values = c->opt_vals,
		.n = c->n_opts,
	};
	int rc = uh_backend_open(b, c->backend, &cfg, err);

	if (!rc)
		rc = uh_run_cli_through_cache(cache, b, cb, &cfg, use, err);
	return rc;
}

int uh_run_cli_failure_code(const struct uh_backend *use, int rc, struct uh_err *err)
{
	int inner = uh_cache_backend_inner_code(use);

	if (rc == UH_EIO && inner < 0)
		rc = err->code = inner;
	return rc;
}

void uh_run_cli_print_cache(FILE *f, const struct uh_cache *cache, bool read_only)
{
	if (cache)
		fprintf(f, "cache: %llu hits, %llu misses%s\n", (unsigned long long)uh_cache_stats(cache)->hits,
			(unsigned long long)uh_cache_stats(cache)->misses,
			read_only ? " (read-only: none stored)" : "");
	else
		fprintf(f, "cache: off\n");
}

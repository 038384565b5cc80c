/*
 * http.c - concurrent HTTP requests with retries over libcurl's multi
 * interface (see http.h).
 *
 * One loop drives everything: start requests while a slot is free (retries
 * whose backoff has passed first, then new ones), wait in epoll until a
 * socket is ready, curl's timer fires or the next backoff ends, let curl
 * move bytes (its socket interface), and reap finished transfers. Easy handles are kept in a pool and the multi
 * handle's connection cache keeps sockets open, so a steady stream of
 * requests costs no new connections.
 */
#include "harness/backends/http.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_BASE_DEFAULT 0.25
#define BACKOFF_CAP_DEFAULT 8.0
#define RETRY_AFTER_MAX 60.0
#define EXCERPT_MAX 200
#define BUF_MAX_DEFAULT ((size_t)256 << 20)

struct endpoint {
	char *base;     /* no trailing '/' */
	char *root;     /* base minus a final "/v1" */
	int inflight;
};

struct slot {
	CURL *easy;
	struct uh_http *h;
	long req;              /* request index, -1 when free */
	int ep;
	char *url;
	size_t url_cap;
	char *body;            /* response body being received */
	size_t len, cap;
	int too_big;
	double retry_after;    /* seconds, < 0: none */
	char curl_err[CURL_ERROR_SIZE];
};

struct uh_http {
	CURLM *multi;
	struct endpoint *ep;
	size_t n_ep;
	size_t rr;
	struct slot *slots;
	int n_slots;
	struct curl_slist *hdr_post, *hdr_get;
	char *key;
	double timeout_s, base_s, cap_s;
	int retries;
	size_t max_resp;
	uint64_t rng;
	int epfd;          /* the sockets curl wants watched */
	double timer_at;   /* when curl wants socket_action(TIMEOUT); INFINITY: never */
};

/* Per-request bookkeeping of one uh_http_run. */
struct rstate {
	double not_before;
	int last_ep;
	int state;   /* 0: waiting, 1: in flight, 2: done */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: jitter needs no quality, only independence between clients */
static double rand01(struct uh_http *h)
{
	uint64_t x = h->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	h->rng = x;
	return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

/* ------------------------------------------------------------ buffers */

static int buf_reserve(struct uh_http_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : BUF_MAX_DEFAULT;
	size_t need, cap;
	char *p;

	if (b->failed)
		return -1;
	if (extra > max || b->len > max - extra) {
		b->failed = 1;
		return -1;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void uh_http_buf_add(struct uh_http_buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void uh_http_buf_puts(struct uh_http_buf *b, const char *s)
{
	uh_http_buf_add(b, s, strlen(s));
}

void uh_http_buf_addf(struct uh_http_buf *b, const char *fmt, ...)
{
	char small[128];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (k < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)k < sizeof(small)) {
		uh_http_buf_add(b, small, (size_t)k);
		return;
	}
	if (buf_reserve(b, (size_t)k) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)k + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)k;
}

void uh_http_buf_add_json_str(struct uh_http_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	uh_http_buf_add(b, "\"", 1);
	while (*p) {
		const unsigned char *run = p;

		while (*p >= 0x20 && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			uh_http_buf_add(b, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };
			uh_http_buf_add(b, esc, 2);
		} else if (*p == '\n') {
			uh_http_buf_add(b, "\\n", 2);
		} else if (*p == '\t') {
			uh_http_buf_add(b, "\\t", 2);
		} else if (*p == '\r') {
			uh_http_buf_add(b, "\\r", 2);
		} else {
			char esc[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
			uh_http_buf_add(b, esc, 6);
		}
		p++;
	}
	uh_http_buf_add(b, "\"", 1);
}

void uh_http_buf_add_stop(struct uh_http_buf *b, const struct uh_gen_req *r)
{
	if (!r->n_stop)
		return;
	uh_http_buf_puts(b, ",\"stop\":[");
	for (size_t k = 0; k < r->n_stop; k++) {
		if (k)
			uh_http_buf_puts(b, ",");
		uh_http_buf_add_json_str(b, r->stop[k]);
	}
	uh_http_buf_puts(b, "]");
}

void uh_http_buf_release(struct uh_http_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

/* ------------------------------------------------------------ curl callbacks */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct slot *s = ud;
	size_t n = size * nmemb;

	if (n > s->h->max_resp || s->len > s->h->max_resp - n) {
		s->too_big = 1;
		return 0;  /* CURLE_WRITE_ERROR */
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *p;

		while (cap < s->len + n + 1)
			cap *= 2;
		p = realloc(s->body, cap);
		if (!p)
			return 0;
		s->body = p;
		s->cap = cap;
	}
	memcpy(s->body + s->len, data, n);
	s->len += n;
	s->body[s->len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct slot *s = ud;
	size_t n = size * nmemb;
	static const char ra[] = "retry-after:";

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		s->retry_after = -1;  /* a new response (after a redirect or 100) */
	} else if (n > sizeof(ra) - 1 && strncasecmp(data, ra, sizeof(ra) - 1) == 0) {
		char tmp[32];
		size_t k = n - (sizeof(ra) - 1);
		char *end;
		double v;

		if (k >= sizeof(tmp))
			k = sizeof(tmp) - 1;
		memcpy(tmp, data + sizeof(ra) - 1, k);
		tmp[k] = '\0';
		v = strtod(tmp, &end);
		/* delta-seconds only; an HTTP-date falls back to our own backoff */
		if (end != tmp && v >= 0 && isfinite(v))
			s->retry_after = v > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : v;
	}
	return n;
}

/* ------------------------------------------------------------ the event loop */

/*
 * curl's socket interface: curl says which sockets to watch (on_socket)
 * and when to call it back (on_timer); epoll reports only the ready
 * sockets, so a wake-up costs O(ready), not O(connections) as
 * curl_multi_perform + poll would.
 */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct uh_http *h = userp;
	struct epoll_event ev;

	(void)e;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	ev.data.fd = fd;
	if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
		epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static int on_timer(CURLM *m, long ms, void *userp)
{
	struct uh_http *h = userp;

	(void)m;
	h->timer_at = ms < 0 ? INFINITY : mono_s() + (double)ms / 1000;
	return 0;
}

/* Wait until a socket is ready, curl's timer fires or wake passes, and run curl. */
static int drive(struct uh_http *h, double wake)
{
	struct epoll_event ev[64];
	double t = mono_s(), until = h->timer_at < wake ? h->timer_at : wake;
	int ms, k, running;

	if (until <= t)
		ms = 0;
	else if (until - t >= 1.0)
		ms = 1000;
	else
		ms = (int)ceil((until - t) * 1000);
	k = epoll_wait(h->epfd, ev, (int)(sizeof(ev) / sizeof(ev[0])), ms);
	if (k < 0 && errno != EINTR)
		return -1;
	for (int i = 0; i < k; i++) {
		int flags = (ev[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			    (ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			    (ev[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);

		curl_multi_socket_action(h->multi, ev[i].data.fd, flags, &running);
	}
	if (mono_s() >= h->timer_at) {
		h->timer_at = INFINITY;  /* on_timer sets the next one */
		curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	return 0;
}

/* ------------------------------------------------------------ client */

static int check_url(const char *u, struct uh_err *err)
{
	const char *auth;
	size_t alen;

	if (strncmp(u, "http://", 7) == 0)
		auth = u + 7;
	else if (strncmp(u, "https://", 8) == 0)
		auth = u + 8;
	else
		return uh_err_set(err, UH_EINVAL, "url '%s' must start with http:// or https://", u);
	alen = strcspn(auth, "/?#");
	if (alen == 0)
		return uh_err_set(err, UH_EINVAL, "url '%s' has no host", u);
	if (memchr(auth, '@', alen))
		/* do not echo it: the part before '@' is a credential */
		return uh_err_set(err, UH_EINVAL,
				  "a url holds credentials ('user:password@'); put the key in the environment variable named by api_key_env");
	if (strpbrk(u, " \t\r\n"))
		return uh_err_set(err, UH_EINVAL, "url '%s' contains whitespace", u);
	return 0;
}

static void slist_wipe_free(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		if (p->data)
			memset(p->data, 0, strlen(p->data));
	curl_slist_free_all(l);
}

void uh_http_free(struct uh_http *h)
{
	if (!h)
		return;
	for (int i = 0; i < h->n_slots; i++) {
		struct slot *s = &h->slots[i];

		if (s->easy) {
			if (s->req >= 0)
				curl_multi_remove_handle(h->multi, s->easy);
			curl_easy_cleanup(s->easy);
		}
		free(s->url);
		free(s->body);
	}
	free(h->slots);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->epfd >= 0)
		close(h->epfd);
	for (size_t i = 0; i < h->n_ep; i++) {
		free(h->ep[i].base);
		free(h->ep[i].root);
	}
	free(h->ep);
	slist_wipe_free(h->hdr_post);
	slist_wipe_free(h->hdr_get);
	if (h->key) {
		memset(h->key, 0, strlen(h->key));
		free(h->key);
	}
	free(h);
}

static int add_header(struct curl_slist **l, const char *line)
{
	struct curl_slist *t = curl_slist_append(*l, line);

	if (!t)
		return -1;
	*l = t;
	return 0;
}

static int build_headers(struct uh_http *h)
{
	if (add_header(&h->hdr_post, "Content-Type: application/json") < 0 ||
	    add_header(&h->hdr_post, "Expect:") < 0 ||  /* no 100-continue round trip */
	    add_header(&h->hdr_post, "Accept: application/json") < 0 ||
	    add_header(&h->hdr_get, "Accept: application/json") < 0)
		return -1;
	if (h->key) {
		size_t n = strlen(h->key) + sizeof("Authorization: Bearer ");
		char *line = malloc(n);
		int rc;

		if (!line)
			return -1;
		snprintf(line, n, "Authorization: Bearer %s", h->key);
		rc = add_header(&h->hdr_post, line) < 0 || add_header(&h->hdr_get, line) < 0 ? -1 : 0;
		memset(line, 0, n);
		free(line);
		return rc;
	}
	return 0;
}

static int setup_slot(struct uh_http *h, struct slot *s)
{
	CURL *e = curl_easy_init();
	long tmo = (long)(h->timeout_s * 1000 + 0.5);

	if (!e)
		return -1;
	s->easy = e;
	s->h = h;
	s->req = -1;
	if (tmo < 1)
		tmo = 1;
	if (curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, s) ||
	    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(e, CURLOPT_HEADERDATA, s) ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, s) ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->curl_err) ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo) ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, tmo < 10000 ? tmo : 10000L) ||
	    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L) ||
	    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, "uh") ||
	    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_resp) ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"))
		return -1;
	return 0;
}

static char *strip_slash_dup(const char *u)
{
	size_t n = strlen(u);

	while (n > 0 && u[n - 1] == '/')
		n--;
	return strndup(u, n);
}

int uh_http_new(struct uh_http **out, const struct uh_http_opts *o, struct uh_err *err)
{
	struct uh_http *h;
	int rc;

	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return uh_err_set(err, UH_EIO, "libcurl failed to initialize: %s",
				  curl_easy_strerror(curl_init_rc));
	if (!o->urls || o->n_urls == 0)
		return uh_err_set(err, UH_EINVAL, "no url given");
	if (o->concurrency < 1 || o->concurrency > 4096)
		return uh_err_set(err, UH_EINVAL, "concurrency must be 1..4096, got %d", o->concurrency);
	if (!(o->timeout_s > 0) || o->timeout_s > 86400)
		return uh_err_set(err, UH_EINVAL, "timeout must be in (0, 86400] seconds, got %g",
				  o->timeout_s);
	if (o->retries < 0 || o->retries > 100)
		return uh_err_set(err, UH_EINVAL, "retries must be 0..100, got %d", o->retries);
	for (size_t i = 0; i < o->n_urls; i++)
		if ((rc = check_url(o->urls[i], err)) < 0)
			return rc;

	h = calloc(1, sizeof(*h));
	if (!h)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	h->timeout_s = o->timeout_s;
	h->retries = o->retries;
	h->base_s = o->backoff_base_s > 0 ? o->backoff_base_s : BACKOFF_BASE_DEFAULT;
	h->cap_s = o->backoff_cap_s > 0 ? o->backoff_cap_s : BACKOFF_CAP_DEFAULT;
	h->max_resp = o->max_response ? o->max_response : UH_HTTP_MAX_RESPONSE;
	h->timer_at = INFINITY;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0) {
		free(h);
		return uh_err_set(err, UH_EIO, "epoll_create1 failed: %s", strerror(errno));
	}
	h->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)h;
	if (!h->rng)
		h->rng = 0x9e3779b97f4a7c15ULL;
	if (o->api_key && *o->api_key && !(h->key = strdup(o->api_key)))
		goto nomem;
	h->ep = calloc(o->n_urls, sizeof(*h->ep));
	if (!h->ep)
		goto nomem;
	h->n_ep = o->n_urls;
	for (size_t i = 0; i < o->n_urls; i++) {
		struct endpoint *e = &h->ep[i];
		size_t n;

		if (!(e->base = strip_slash_dup(o->urls[i])))
			goto nomem;
		n = strlen(e->base);
		if (n >= 3 && strcmp(e->base + n - 3, "/v1") == 0)
			n -= 3;
		if (!(e->root = strndup(e->base, n)))
			goto nomem;
	}
	h->multi = curl_multi_init();
	h->slots = calloc((size_t)o->concurrency, sizeof(*h->slots));
	if (!h->multi || !h->slots)
		goto nomem;
	h->n_slots = o->concurrency;
	for (int i = 0; i < h->n_slots; i++)
		if (setup_slot(h, &h->slots[i]) < 0)
			goto nomem;
	if (curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)(h->n_slots + (int)h->n_ep)) ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket) ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer) ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) ||
	    build_headers(h) < 0)
		goto nomem;
	*out = h;
	return 0;

nomem:
	uh_http_free(h);
	return uh_err_set(err, UH_ENOMEM, "out of memory setting up the http client");
}

size_t uh_http_n_endpoints(const struct uh_http *h)
{
	return h->n_ep;
}

const char *uh_http_endpoint(const struct uh_http *h, size_t i)
{
	return i < h->n_ep ? h->ep[i].base : NULL;
}

/*
 * Replace every copy of key[0..k) in p[0..len) (p[len] is a NUL, kept) with
 * "***", or with k asterisks for a key shorter than that, so the text never
 * grows and the search goes on after the replacement (a key such as "*"
 * must not match its own stars again). Any bytes, NUL included: a server's
 * body may hold them. Returns the new length.
 */
static size_t scrub_span(char *p, size_t len, const char *key, size_t k)
{
	size_t r = k < 3 ? k : 3, at = 0;

	if (!k)
		return len;
	while (len - at >= k) {
		char *hit = memchr(p + at, key[0], len - at - k + 1);
		size_t off;

		if (!hit)
			break;
		off = (size_t)(hit - p);
		if (memcmp(hit, key, k) != 0) {
			at = off + 1;
			continue;
		}
		memset(hit, '*', r);
		memmove(hit + r, hit + k, len - off - k + 1);
		len -= k - r;
		at = off + r;
	}
	return len;
}

void uh_http_scrub(const struct uh_http *h, char *msg)
{
	if (h && h->key)
		scrub_span(msg, strlen(msg), h->key, strlen(h->key));
}

void uh_http_reqs_release(struct uh_http_req *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(reqs[i].resp);
		reqs[i].resp = NULL;
		reqs[i].resp_len = 0;
	}
}

/* ------------------------------------------------------------ one run */

static int pick_endpoint(struct uh_http *h, const struct uh_http_req *q, int avoid)
{
	int best = -1;

	if (q->pin >= 0 && (size_t)q->pin < h->n_ep)
		return q->pin;
	for (size_t k = 0; k < h->n_ep; k++) {
		int i = (int)((h->rr + k) % h->n_ep);

		if (i == avoid && h->n_ep > 1)
			continue;
		if (best < 0 || h->ep[i].inflight < h->ep[best].inflight)
			best = i;
	}
	h->rr = (h->rr + 1) % h->n_ep;
	return best;
}

static int start(struct uh_http *h, struct slot *s, struct uh_http_req *reqs, size_t i,
		 struct rstate *st)
{
	struct uh_http_req *q = &reqs[i];
	int ep = pick_endpoint(h, q, st[i].last_ep);
	const char *pre = q->at_root ? h->ep[ep].root : h->ep[ep].base;
	size_t need = strlen(pre) + strlen(q->path) + 1;
	CURL *e = s->easy;

	if (need > s->url_cap) {
		char *u = realloc(s->url, need);

		if (!u)
			return -1;
		s->url = u;
		s->url_cap = need;
	}
	snprintf(s->url, need, "%s%s", pre, q->path);
	s->len = 0;
	if (s->body)
		s->body[0] = '\0';
	s->too_big = 0;
	s->retry_after = -1;
	s->curl_err[0] = '\0';
	if (curl_easy_setopt(e, CURLOPT_URL, s->url))
		return -1;
	if (q->body) {
		if (curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body) ||
		    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len) ||
		    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->hdr_post))
			return -1;
	} else {
		if (curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) ||
		    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->hdr_get))
			return -1;
	}
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		return -1;
	s->req = (long)i;
	s->ep = ep;
	h->ep[ep].inflight++;
	st[i].state = 1;
	st[i].last_ep = ep;
	q->attempts++;
	return 0;
}

/* A printable excerpt of a server's answer, for messages. */
static void excerpt(char *dst, size_t cap, const char *src, size_t len)
{
	size_t k = 0;

	if (!src)
		len = 0;
	for (size_t i = 0; i < len && k + 4 < cap && i < EXCERPT_MAX; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[k++] = c >= 0x20 && c < 0x7f ? (char)c : c >= 0x80 ? (char)c : ' ';
	}
	if (len > EXCERPT_MAX && k + 4 < cap) {
		memcpy(dst + k, "...", 3);
		k += 3;
	}
	dst[k] = '\0';
}

static int retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_PEER_FAILED_VERIFICATION:
		return 0;
	default:
		return 1;
	}
}

/* Scrub the body s->body[0..len) before an excerpt is cut from it (see scrub_span). */
static void scrub_body(const struct uh_http *h, struct slot *s)
{
	if (h->key && s->body)
		s->len = scrub_span(s->body, s->len, h->key, strlen(h->key));
}

/* Describe a failed attempt into why[]. Returns the code it would fail with. */
static int describe(struct uh_http *h, struct slot *s, CURLcode rc, long status, char *why,
		    size_t cap)
{
	char ex[EXCERPT_MAX + 8];

	if (s->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(why, cap, "response larger than the %zu-byte cap", h->max_resp);
		return UH_EIO;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(why, cap, "timed out after %g s", h->timeout_s);
		return UH_EIO;
	}
	if (rc != CURLE_OK) {
		snprintf(why, cap, "%s%s%s", curl_easy_strerror(rc), s->curl_err[0] ? ": " : "",
			 s->curl_err);
		return UH_EIO;
	}
	scrub_body(h, s);
	excerpt(ex, sizeof(ex), s->body, s->len);
	snprintf(why, cap, "HTTP %ld%s%s", status, ex[0] ? ": " : "", ex);
	return status >= 400 && status < 500 && status != 429 ? UH_EINVAL : UH_EIO;
}

static void release_slot(struct uh_http *h, struct slot *s)
{
	curl_multi_remove_handle(h->multi, s->easy);
	h->ep[s->ep].inflight--;
	s->req = -1;
}

int uh_http_run(struct uh_http *h, struct uh_http_req *reqs, size_t n, int allow_4xx,
		size_t *failed, struct uh_err *err)
{
	struct rstate *st;
	size_t next_new = 0, done = 0, *retry = NULL, n_retry = 0;
	int inflight = 0, rc = 0;
	long fail_at = -1;
	char why[512];

	if (failed)
		*failed = 0;
	for (size_t i = 0; i < n; i++) {
		reqs[i].status = 0;
		reqs[i].resp = NULL;
		reqs[i].resp_len = 0;
		reqs[i].endpoint = -1;
		reqs[i].attempts = 0;
	}
	if (n == 0)
		return 0;
	st = calloc(n, sizeof(*st));
	retry = malloc(n * sizeof(*retry));
	if (!st || !retry) {
		free(st);
		free(retry);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		st[i].last_ep = -1;

	while (done < n) {
		double now = mono_s(), wake = INFINITY;
		int msgs;
		CURLMsg *m;

		/* 1. fill free slots: due retries first, then new requests */
		for (int k = 0; k < h->n_slots && inflight < h->n_slots; k++) {
			struct slot *s = &h->slots[k];
			size_t pick = n;

			if (s->req >= 0)
				continue;
			for (size_t r = 0; r < n_retry; r++) {
				if (st[retry[r]].not_before <= now) {
					pick = retry[r];
					retry[r] = retry[--n_retry];
					break;
				}
			}
			if (pick == n && next_new < n)
				pick = next_new++;
			if (pick == n)
				break;
			if (start(h, s, reqs, pick, st) < 0) {
				rc = uh_err_set(err, UH_ENOMEM, "out of memory starting request %zu", pick);
				fail_at = (long)pick;
				goto out;
			}
			inflight++;
		}
		for (size_t r = 0; r < n_retry; r++)
			if (st[retry[r]].not_before < wake)
				wake = st[retry[r]].not_before;

		/* 2. wait for sockets, curl's timer or the next backoff; let curl move bytes */
		if (drive(h, wake) < 0) {
			rc = uh_err_set(err, UH_EIO, "waiting for sockets failed: %s", strerror(errno));
			goto out;
		}

		/* 3. reap */
		while ((m = curl_multi_info_read(h->multi, &msgs)) != NULL) {
			struct slot *s = NULL;
			struct uh_http_req *q;
			long status = 0;
			size_t i;
			int code;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			i = (size_t)s->req;
			q = &reqs[i];
			curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
			q->status = status;
			q->endpoint = s->ep;
			release_slot(h, s);
			inflight--;
			if (m->data.result == CURLE_OK &&
			    ((status >= 200 && status < 300) ||
			     (allow_4xx && status >= 400 && status < 500 && status != 429))) {
				/* hand the buffer over; the slot grows a new one */
				if (!s->body && !(s->body = calloc(1, 1))) {
					rc = uh_err_set(err, UH_ENOMEM, "out of memory");
					goto out;
				}
				q->resp = s->body;
				q->resp_len = s->len;
				s->body = NULL;
				s->len = s->cap = 0;
				st[i].state = 2;
				done++;
				continue;
			}
			code = describe(h, s, m->data.result, status, why, sizeof(why));
			if (q->attempts <= h->retries && !s->too_big &&
			    (m->data.result != CURLE_OK ? retryable_curl(m->data.result)
							: status == 429 || status >= 500)) {
				double ceil = h->base_s * ldexp(1.0, q->attempts - 1);
				double delay = rand01(h) * (ceil < h->cap_s ? ceil : h->cap_s);

				if (s->retry_after >= 0)
					delay = s->retry_after;
				st[i].not_before = mono_s() + delay;
				st[i].state = 0;
				retry[n_retry++] = i;
				continue;
			}
			fail_at = (long)i;
			rc = uh_err_set(err, code, "request %zu to %s: %s (after %d attempt%s)", i,
					s->url, why, q->attempts, q->attempts == 1 ? "" : "s");
			if (err)
				uh_http_scrub(h, err->msg);
			goto out;
		}
	}

out:
	if (rc < 0) {
		for (int k = 0; k < h->n_slots; k++)
			if (h->slots[k].req >= 0)
				release_slot(h, &h->slots[k]);
		uh_http_reqs_release(reqs, n);
		if (failed && fail_at >= 0)
			*failed = (size_t)fail_at;
	}
	free(st);
	free(retry);
	return rc;
}

/* ------------------------------------------------------------ JSON */

/* Whether s leaves a string, object or array open at its end (a cut body). */
static int json_open_at_end(const char *s, size_t len)
{
	long depth = 0;
	int in_str = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return in_str || depth > 0;
}

struct cJSON *uh_http_json_parse(const char *s, size_t len, char *why, size_t cap)
{
	const char *end = NULL;
	cJSON *j;
	size_t at;
	char near[24];

	if (!s || len == 0) {
		snprintf(why, cap, "empty response body");
		return NULL;
	}
	j = cJSON_ParseWithLengthOpts(s, len, &end, 0);
	if (j)
		return j;
	at = end && end >= s && end <= s + len ? (size_t)(end - s) : 0;
	excerpt(near, sizeof(near) - 4, s + at, len - at < 16 ? len - at : 16);
	if (at >= len || json_open_at_end(s, len))
		snprintf(why, cap, "response is not valid JSON (it ends early at byte %zu: truncated)", len);
	else if (!strncmp(s + at, "NaN", 3) || !strncmp(s + at, "Infinity", 8) ||
		 !strncmp(s + at, "-Infinity", 9))
		snprintf(why, cap, "response holds a non-finite number ('%s') at byte %zu", near, at);
	else
		snprintf(why, cap, "response is not valid JSON at byte %zu (near '%s')", at, near);
	return NULL;
}

const char *uh_http_json_kind(const cJSON *x)
{
	if (!x)
		return "missing";
	if (cJSON_IsNull(x))
		return "null";
	if (cJSON_IsNumber(x))
		return "a number";
	if (cJSON_IsString(x))
		return "a string";
	if (cJSON_IsArray(x))
		return "an array";
	if (cJSON_IsObject(x))
		return "an object";
	return "a boolean";
}

int uh_http_json_int(const cJSON *x, double lo, double hi, long long *out)
{
	double d;

	if (!cJSON_IsNumber(x))
		return -1;
	d = x->valuedouble;
	if (!(d >= lo && d <= hi) || d != floor(d))
		return -1;
	*out = (long long)d;
	return 0;
}

const cJSON *uh_http_json_get(const cJSON *o, const char *k)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

/* ------------------------------------------------------------ options */

static void conf_release(struct uh_http_conf *c)
{
	for (size_t i = 0; i < c->n_urls; i++)
		free(c->urls[i]);
	free(c->urls);
	free(c->model);
	free(c->api_key_env);
	free(c->tokenize);
	free(c->eos_token);
	memset(c, 0, sizeof(*c));
}

static int key_known(const char *known, const char *k)
{
	size_t n = strlen(k);

	for (const char *p = known; *p;) {
		size_t w = strcspn(p, " ");

		if (w == n && strncmp(p, k, n) == 0)
			return 1;
		p += w;
		while (*p == ' ')
			p++;
	}
	return 0;
}

static int parse_long(const char *v, long lo, long hi, long *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int parse_secs(const char *v, double lo, double hi, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno || end == v || *end || !(x >= lo && x <= hi))
		return -1;
	*out = x;
	return 0;
}

static int add_urls(struct uh_http_conf *c, const char *v)
{
	const char *p = v;

	for (;;) {
		size_t w = strcspn(p, ",");
		char **u;

		if (w > 0) {
			u = realloc(c->urls, (c->n_urls + 1) * sizeof(*u));
			if (!u)
				return -1;
			c->urls = u;
			if (!(u[c->n_urls] = strndup(p, w)))
				return -1;
			c->n_urls++;
		}
		if (!p[w])
			return 0;
		p += w + 1;
	}
}

static int set_str(char **dst, const char *v)
{
	char *d = strdup(v);

	if (!d)
		return -1;
	free(*dst);
	*dst = d;
	return 0;
}

/*
 * Parse cfg into c (defaults first). known is the space-separated list of
 * keys the backend accepts; any other key is an error that lists them.
 * Returns 0 or a negative UH_E* code with a message (prefixed "<who>: ").
 */
static int conf_parse(struct uh_http_conf *c, const struct uh_backend_config *cfg, const char *who,
		      const char *known, struct uh_err *err)
{
	int rc = 0;

	memset(c, 0, sizeof(*c));
	c->concurrency = 8;
	c->batch = 16;
	c->retries = 5;
	c->timeout_s = 120;
	c->backoff_s = BACKOFF_BASE_DEFAULT;
	c->backoff_cap_s = BACKOFF_CAP_DEFAULT;
	c->max_response = UH_HTTP_MAX_RESPONSE;
	c->eos_id = -1;
	if (set_str(&c->api_key_env, "OPENAI_API_KEY") < 0 || set_str(&c->tokenize, "auto") < 0)
		goto nomem;
	if (cfg && cfg->model && *cfg->model && set_str(&c->model, cfg->model) < 0)
		goto nomem;
	for (size_t i = 0; cfg && i < cfg->n; i++) {
		const char *k = cfg->keys[i], *v = cfg->values[i];
		long x;
		double d;

		if (!key_known(known, k)) {
			rc = uh_err_set(err, UH_EINVAL, "%s: unknown option '%s' (known: %s)", who, k, known);
			goto fail;
		}
		if (!strcmp(k, "url")) {
			if (add_urls(c, v) < 0)
				goto nomem;
		} else if (!strcmp(k, "model")) {
			if (set_str(&c->model, v) < 0)
				goto nomem;
		} else if (!strcmp(k, "concurrency") || !strcmp(k, "batch") || !strcmp(k, "retries")) {
			long hi = !strcmp(k, "retries") ? 100 : 4096;
			long lo = !strcmp(k, "retries") ? 0 : 1;

			if (parse_long(v, lo, hi, &x) < 0) {
				rc = uh_err_set(err, UH_EINVAL, "%s: option %s must be an integer %ld..%ld, got '%s'",
						who, k, lo, hi, v);
				goto fail;
			}
			*(!strcmp(k, "batch") ? &c->batch : !strcmp(k, "retries") ? &c->retries
										   : &c->concurrency) = (int)x;
		} else if (!strcmp(k, "timeout") || !strcmp(k, "backoff") || !strcmp(k, "backoff_cap")) {
			if (parse_secs(v, 0.001, 86400, &d) < 0) {
				rc = uh_err_set(err, UH_EINVAL,
						"%s: option %s must be seconds in [0.001, 86400], got '%s'", who, k, v);
				goto fail;
			}
			*(!strcmp(k, "timeout") ? &c->timeout_s : !strcmp(k, "backoff") ? &c->backoff_s
											  : &c->backoff_cap_s) = d;
		} else if (!strcmp(k, "max_response")) {
			if (parse_long(v, 1024, 1L << 30, &x) < 0) {
				rc = uh_err_set(err, UH_EINVAL,
						"%s: option max_response must be bytes in [1024, 2^30], got '%s'", who, v);
				goto fail;
			}
			c->max_response = (size_t)x;
		} else if (!strcmp(k, "api_key_env")) {
			if (!*v) {
				rc = uh_err_set(err, UH_EINVAL, "%s: option api_key_env is empty", who);
				goto fail;
			}
			if (set_str(&c->api_key_env, v) < 0)
				goto nomem;
			c->api_key_env_given = 1;
		} else if (!strcmp(k, "tokenize")) {
			if (strcmp(v, "auto") && strcmp(v, "yes") && strcmp(v, "no")) {
				rc = uh_err_set(err, UH_EINVAL, "%s: option tokenize must be auto, yes or no, got '%s'",
						who, v);
				goto fail;
			}
			if (set_str(&c->tokenize, v) < 0)
				goto nomem;
		} else if (!strcmp(k, "eos_id")) {
			if (parse_long(v, 0, INT32_MAX, &x) < 0) {
				rc = uh_err_set(err, UH_EINVAL, "%s: option eos_id must be a token id, got '%s'", who, v);
				goto fail;
			}
			c->eos_id = x;
		} else if (!strcmp(k, "eos_token")) {
			if (set_str(&c->eos_token, v) < 0)
				goto nomem;
		}
	}
	if (c->n_urls == 0) {
		rc = uh_err_set(err, UH_EINVAL, "%s: no url given (--opt url=http://host:port/v1)", who);
		goto fail;
	}
	return 0;

nomem:
	rc = uh_err_set(err, UH_ENOMEM, "%s: out of memory", who);
fail:
	conf_release(c);
	return rc;
}

/*
 * The API key from the environment variable c->api_key_env: *key is
 * borrowed from the environment, NULL when unset; an unset variable that
 * the user named explicitly is an error.
 */
static int conf_key(const struct uh_http_conf *c, const char **key, struct uh_err *err)
{
	const char *v = getenv(c->api_key_env);

	*key = v && *v ? v : NULL;
	if (!*key && c->api_key_env_given)
		return uh_err_set(err, UH_EINVAL,
				  "environment variable '%s' (named by api_key_env) is not set", c->api_key_env);
	return 0;
}

/* "host:port" of url into dst (no scheme, no path). */
static void url_host(const char *url, char *dst, size_t cap)
{
	const char *p = strstr(url, "://");
	size_t w;

	p = p ? p + 3 : url;
	w = strcspn(p, "/?#");
	snprintf(dst, cap, "%.*s", (int)w, p);
}

/* ------------------------------------------------------------ what the backends share */

static int fail(char *errbuf, size_t errlen, const struct uh_err *e)
{
	snprintf(errbuf, errlen, "%s", e->msg);
	return e->code;
}

/* The shared part of b: the lock first, so that close can destroy it whatever fails next. */
static int backend_init(struct uh_http_backend *b, const struct uh_http_proto *proto,
			const struct uh_http_conf *c, struct uh_err *err)
{
	struct uh_http_opts o;
	const char *key;
	int rc;

	pthread_mutex_init(&b->lock, NULL);
	b->proto = proto;
	rc = conf_key(c, &key, err);
	if (rc < 0)
		return rc;
	o = (struct uh_http_opts){
		.urls = (const char *const *)c->urls, .n_urls = c->n_urls,
		.concurrency = c->concurrency, .timeout_s = c->timeout_s, .retries = c->retries,
		.backoff_base_s = c->backoff_s, .backoff_cap_s = c->backoff_cap_s,
		.api_key = key, .max_response = c->max_response,
	};
	return uh_http_new(&b->http, &o, err);
}

int uh_http_backend_open(const struct uh_http_proto *proto, const struct uh_backend_config *cfg,
			 void **state, char *errbuf, size_t errlen)
{
	struct uh_http_conf c;
	struct uh_http_backend *b;
	struct uh_err e;
	int rc;

	*state = NULL;
	uh_err_clear(&e);
	rc = conf_parse(&c, cfg, proto->name, proto->known, &e);
	if (rc < 0)
		return fail(errbuf, errlen, &e);
	b = calloc(1, proto->size);
	if (!b)
		rc = uh_err_set(&e, UH_ENOMEM, "out of memory");
	else if ((rc = backend_init(b, proto, &c, &e)) == 0)
		rc = proto->setup(b, &c, &e);
	conf_release(&c);
	if (rc < 0 && b) {
		uh_http_scrub(b->http, e.msg);
		uh_http_backend_close(b);
		b = NULL;
	}
	*state = b;
	return rc < 0 ? fail(errbuf, errlen, &e) : 0;
}

void uh_http_backend_close(void *state)
{
	struct uh_http_backend *b = state;

	if (!b)
		return;
	b->proto->release(state);
	uh_http_free(b->http);
	free(b->model_id);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

int uh_http_backend_name(struct uh_http_backend *b, const char *model, const char *url,
			 struct uh_err *err)
{
	char host[256];
	size_t n;

	url_host(url, host, sizeof(host));
	n = strlen(b->proto->name) + strlen(":@") + strlen(model) + strlen(host) + 1;
	if (!(b->model_id = malloc(n)))
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	snprintf(b->model_id, n, "%s:%s@%s", b->proto->name, model, host);
	return 0;
}

/* One ABI call holds the lock from enter() to leave(); leave() words a failure. */
static void enter(struct uh_http_backend *b, struct uh_err *e)
{
	uh_err_clear(e);
	pthread_mutex_lock(&b->lock);
}

static int leave(struct uh_http_backend *b, int rc, const struct uh_err *e, char *errbuf, size_t errlen)
{
	pthread_mutex_unlock(&b->lock);
	return rc < 0 ? fail(errbuf, errlen, e) : 0;
}

const char *uh_http_backend_model_id(void *state)
{
	return ((struct uh_http_backend *)state)->model_id;
}

int uh_http_backend_score(void *state, const struct uh_score_req *reqs, size_t n,
			  struct uh_score_res *res, char *errbuf, size_t errlen)
{
	struct uh_http_backend *b = state;
	struct uh_err e;
	int rc;

	enter(b, &e);
	rc = b->proto->score(state, reqs, n, res, &e);
	return leave(b, rc, &e, errbuf, errlen);
}

void uh_http_backend_free_gen(void *state, struct uh_gen_res *res, size_t n)
{
	(void)state;
	for (size_t i = 0; i < n; i++) {
		free(res[i].text);
		res[i].text = NULL;
	}
}

/*
 * Offset of a \u0000 escape in s[0..n), or n. cJSON decodes it into a NUL
 * that ends the C string: a generated text holding one would come back cut
 * short, unseen. Backslash pairs are skipped ("\\u0000" is text).
 */
static size_t nul_escape(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && n - i >= 6 && !memcmp(s + i + 2, "0000", 4))
			return i;
		i++;
	}
	return n;
}

/* Check answer q to generate request i with the backend's reader. */
static int read_gen(const struct uh_http_backend *b, const struct uh_http_req *q, size_t i,
		    const struct uh_gen_req *r, struct uh_gen_res *res, struct uh_err *err)
{
	char why[384];
	size_t nul = q->resp ? nul_escape(q->resp, q->resp_len) : 0;
	cJSON *j = nul < q->resp_len ? NULL : uh_http_json_parse(q->resp, q->resp_len, why, sizeof(why));
	int rc = j ? b->proto->gen_read(j, r, res, why, sizeof(why)) : -1;

	if (nul < q->resp_len)
		snprintf(why, sizeof(why),
			 "the answer holds a \\u0000 escape at byte %zu: a NUL cannot be passed on in a text", nul);

	cJSON_Delete(j);
	if (rc == UH_ENOMEM)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	if (rc < 0) {
		rc = uh_err_set(err, UH_EINVAL, "generate request %zu (%s%s): %s", i,
				uh_http_endpoint(b->http, (size_t)q->endpoint), b->proto->gen_path, why);
		uh_http_scrub(b->http, err->msg);
	}
	return rc;
}

static int gen_locked(struct uh_http_backend *b, const struct uh_gen_req *reqs, size_t n,
		      struct uh_gen_res *res, struct uh_err *err)
{
	const struct uh_http_proto *p = b->proto;
	struct uh_http_batch q = { 0 };
	int rc = uh_http_batch_init(&q, n, err);

	for (size_t i = 0; i < n && rc == 0; i++) {
		if (reqs[i].max_new_tokens == 0) {
			/* nothing to ask: servers reject max_tokens 0 without echo */
			if (!(res[i].text = strdup("")))
				rc = uh_err_set(err, UH_ENOMEM, "out of memory");
			res[i].finish_reason = UH_FINISH_LENGTH;
			continue;
		}
		p->gen_body(&q.body[q.n], b, &reqs[i]);
		if (uh_http_batch_add(&q, p->gen_path, p->gen_at_root, i) < 0)
			rc = uh_err_set(err, UH_ENOMEM, "out of memory building generate request %zu", i);
	}
	if (rc == 0)
		rc = uh_http_batch_run(b->http, &q, "generate", err);
	for (size_t k = 0; k < q.n && rc == 0; k++)
		rc = read_gen(b, &q.q[k], q.of[k], &reqs[q.of[k]], &res[q.of[k]], err);
	if (rc < 0)
		uh_http_backend_free_gen(b, res, n);
	uh_http_batch_release(&q);
	return rc;
}

int uh_http_backend_generate(void *state, const struct uh_gen_req *reqs, size_t n,
			     struct uh_gen_res *res, char *errbuf, size_t errlen)
{
	struct uh_http_backend *b = state;
	struct uh_err e;
	int rc;

	enter(b, &e);
	rc = gen_locked(b, reqs, n, res, &e);
	return leave(b, rc, &e, errbuf, errlen);
}

int uh_http_backend_tokenize(void *state, const char *text, int64_t *n_tokens, char *errbuf,
			     size_t errlen)
{
	struct uh_http_backend *b = state;
	struct uh_http_buf body = { 0 };
	struct uh_http_req q = { .path = "/tokenize", .at_root = 1, .pin = -1 };
	struct uh_err e;
	char why[256];
	int rc;

	b->proto->tok_body(&body, state, text);
	if (body.failed) {
		uh_http_buf_release(&body);
		snprintf(errbuf, errlen, "out of memory");
		return UH_ENOMEM;
	}
	q.body = body.p;
	q.body_len = body.len;
	enter(b, &e);
	rc = uh_http_run(b->http, &q, 1, 0, NULL, &e);
	if (rc < 0)
		uh_err_prefix(&e, "tokenize: ");
	rc = leave(b, rc, &e, errbuf, errlen);
	uh_http_buf_release(&body);
	if (rc < 0)
		return rc;
	if (b->proto->tok_count(&q, text, n_tokens, why, sizeof(why)) < 0) {
		rc = uh_err_set(&e, UH_EINVAL, "tokenize (%s/tokenize): %s",
				uh_http_endpoint(b->http, (size_t)q.endpoint), why);
		uh_http_scrub(b->http, e.msg);
	}
	uh_http_reqs_release(&q, 1);
	return rc < 0 ? fail(errbuf, errlen, &e) : 0;
}

/* ------------------------------------------------------------ batches */

int uh_http_batch_init(struct uh_http_batch *b, size_t cap, struct uh_err *err)
{
	size_t c = cap ? cap : 1;

	b->n = 0;
	b->cap = cap;
	b->q = calloc(c, sizeof(*b->q));
	b->body = calloc(c, sizeof(*b->body));
	b->of = calloc(c, sizeof(*b->of));
	if (!b->q || !b->body || !b->of)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	return 0;
}

int uh_http_batch_add(struct uh_http_batch *b, const char *path, int at_root, size_t of)
{
	const struct uh_http_buf *body = &b->body[b->n];

	if (body->failed)
		return -1;
	b->q[b->n] = (struct uh_http_req){ .path = path, .at_root = at_root, .pin = -1,
					   .body = body->p, .body_len = body->len };
	b->of[b->n++] = of;
	return 0;
}

int uh_http_batch_run(struct uh_http *h, struct uh_http_batch *b, const char *what, struct uh_err *err)
{
	int rc = uh_http_run(h, b->q, b->n, 0, NULL, err);

	if (rc < 0)
		uh_err_prefix(err, "%s: ", what);
	return rc;
}

void uh_http_batch_release(struct uh_http_batch *b)
{
	if (b->q)
		uh_http_reqs_release(b->q, b->n);
	for (size_t k = 0; b->body && k < b->cap; k++)
		uh_http_buf_release(&b->body[k]);
	free(b->q);
	free(b->body);
	free(b->of);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------ the flat JSON reader */

#define JDOC_DEPTH 128

enum { JE_NONE, JE_TRUNC, JE_NONFINITE, JE_INVALID, JE_NOMEM, JE_DEEP };

struct jp {
	const char *s;
	size_t len, pos;
	struct uh_http_jdoc *d;
	int depth;
	int err;
	size_t err_at;
};

static int jp_fail(struct jp *p, int e)
{
	if (!p->err) {
		p->err = e;
		p->err_at = p->pos;
	}
	return -1;
}

static void jp_ws(struct jp *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static long jp_push(struct jp *p, int type, size_t start)
{
	struct uh_http_jdoc *d = p->d;
	struct uh_http_jtok *t;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;

		/* every token takes at least one byte of text */
		if (d->n >= p->len + 1 || d->n >= UINT32_MAX / 2) {
			jp_fail(p, JE_INVALID);
			return -1;
		}
		t = realloc(d->t, cap * sizeof(*t));
		if (!t) {
			jp_fail(p, JE_NOMEM);
			return -1;
		}
		d->t = t;
		d->cap = cap;
	}
	t = &d->t[d->n];
	t->type = (uint8_t)type;
	t->start = (uint32_t)start;
	t->end = (uint32_t)start;
	t->n = 0;
	t->next = (uint32_t)d->n + 1;
	return (long)d->n++;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string at p->pos (the opening quote); validates escapes and control bytes. */
static int jp_string(struct jp *p)
{
	long i;

	p->pos++;
	i = jp_push(p, UH_JT_STR, p->pos);
	if (i < 0)
		return -1;
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len)
			return jp_fail(p, JE_TRUNC);
		c = (unsigned char)p->s[p->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return jp_fail(p, JE_INVALID);
		if (c == '\\') {
			if (p->pos + 1 >= p->len)
				return jp_fail(p, JE_TRUNC);
			c = (unsigned char)p->s[++p->pos];
			if (c == 'u') {
				for (int k = 1; k <= 4; k++) {
					if (p->pos + k >= p->len)
						return jp_fail(p, JE_TRUNC);
					if (!is_hex(p->s[p->pos + k]))
						return jp_fail(p, JE_INVALID);
				}
				p->pos += 4;
			} else if (!strchr("\"\\/bfnrt", c) || !c) {
				return jp_fail(p, JE_INVALID);
			}
		}
		p->pos++;
	}
	p->d->t[i].end = (uint32_t)p->pos;
	p->pos++;
	return 0;
}

static int jp_digits(struct jp *p)
{
	size_t a = p->pos;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	if (p->pos == a)
		return jp_fail(p, p->pos >= p->len ? JE_TRUNC : JE_INVALID);
	return 0;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int jp_number(struct jp *p)
{
	size_t a = p->pos;
	long i;

	if (p->s[p->pos] == '-') {
		p->pos++;
		if (p->pos < p->len && p->s[p->pos] == 'I')
			return jp_fail(p, JE_NONFINITE);  /* -Infinity */
	}
	if (p->pos < p->len && p->s[p->pos] == '0')
		p->pos++;
	else if (jp_digits(p) < 0)
		return -1;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (jp_digits(p) < 0)
			return -1;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (jp_digits(p) < 0)
			return -1;
	}
	i = jp_push(p, UH_JT_NUM, a);
	if (i < 0)
		return -1;
	p->d->t[i].end = (uint32_t)p->pos;
	return 0;
}

static int jp_literal(struct jp *p, const char *word, int type)
{
	size_t k = strlen(word);
	long i;

	for (size_t j = 0; j < k; j++) {
		if (p->pos + j >= p->len)
			return jp_fail(p, JE_TRUNC);
		if (p->s[p->pos + j] != word[j])
			return jp_fail(p, JE_INVALID);
	}
	i = jp_push(p, type, p->pos);
	if (i < 0)
		return -1;
	p->pos += k;
	p->d->t[i].end = (uint32_t)p->pos;
	return 0;
}

static int jp_value(struct jp *p);

/* An array or object at p->pos. */
static int jp_container(struct jp *p, int obj)
{
	char close = obj ? '}' : ']';
	long i = jp_push(p, obj ? UH_JT_OBJ : UH_JT_ARR, p->pos);

	if (i < 0)
		return -1;
	if (++p->depth > JDOC_DEPTH)
		return jp_fail(p, JE_DEEP);
	p->pos++;
	jp_ws(p);
	if (p->pos >= p->len)
		return jp_fail(p, JE_TRUNC);
	if (p->s[p->pos] == close) {
		p->pos++;
	} else {
		for (;;) {
			if (obj) {
				jp_ws(p);
				if (p->pos >= p->len)
					return jp_fail(p, JE_TRUNC);
				if (p->s[p->pos] != '"')
					return jp_fail(p, JE_INVALID);
				if (jp_string(p) < 0)
					return -1;
				jp_ws(p);
				if (p->pos >= p->len)
					return jp_fail(p, JE_TRUNC);
				if (p->s[p->pos] != ':')
					return jp_fail(p, JE_INVALID);
				p->pos++;
			}
			if (jp_value(p) < 0)
				return -1;
			p->d->t[i].n++;
			jp_ws(p);
			if (p->pos >= p->len)
				return jp_fail(p, JE_TRUNC);
			if (p->s[p->pos] == ',') {
				p->pos++;
				continue;
			}
			if (p->s[p->pos] == close) {
				p->pos++;
				break;
			}
			return jp_fail(p, JE_INVALID);
		}
	}
	p->depth--;
	p->d->t[i].end = (uint32_t)p->pos;
	p->d->t[i].next = (uint32_t)p->d->n;
	return 0;
}

static int jp_value(struct jp *p)
{
	char c;

	jp_ws(p);
	if (p->pos >= p->len)
		return jp_fail(p, JE_TRUNC);
	c = p->s[p->pos];
	switch (c) {
	case '{':
		return jp_container(p, 1);
	case '[':
		return jp_container(p, 0);
	case '"':
		return jp_string(p);
	case 't':
		return jp_literal(p, "true", UH_JT_TRUE);
	case 'f':
		return jp_literal(p, "false", UH_JT_FALSE);
	case 'n':
		return jp_literal(p, "null", UH_JT_NULL);
	case 'N':
	case 'I':
		return jp_fail(p, JE_NONFINITE);
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return jp_number(p);
		return jp_fail(p, JE_INVALID);
	}
}

int uh_http_jdoc_parse(struct uh_http_jdoc *d, const char *s, size_t len, char *why, size_t cap)
{
	struct jp p = { .s = s, .len = len, .d = d };
	char near[24];

	d->s = s;
	d->n = 0;
	if (!s || len == 0) {
		snprintf(why, cap, "empty response body");
		return -1;
	}
	if (len >= UINT32_MAX || s[len] != '\0') {
		snprintf(why, cap, "response too large to read");
		return -1;
	}
	if (jp_value(&p) == 0) {
		jp_ws(&p);
		if (p.pos == len)
			return 0;
		jp_fail(&p, JE_INVALID);
	}
	excerpt(near, sizeof(near) - 4, s + p.err_at, len - p.err_at < 16 ? len - p.err_at : 16);
	switch (p.err) {
	case JE_TRUNC:
		snprintf(why, cap, "response is not valid JSON (it ends early at byte %zu: truncated)", len);
		break;
	case JE_NONFINITE:
		snprintf(why, cap, "response holds a non-finite number ('%s') at byte %zu", near, p.err_at);
		break;
	case JE_NOMEM:
		snprintf(why, cap, "out of memory reading the response");
		break;
	case JE_DEEP:
		snprintf(why, cap, "response nests deeper than %d levels at byte %zu", JDOC_DEPTH, p.err_at);
		break;
	default:
		snprintf(why, cap, "response is not valid JSON at byte %zu (near '%s')", p.err_at, near);
	}
	return -1;
}

void uh_http_jdoc_release(struct uh_http_jdoc *d)
{
	free(d->t);
	memset(d, 0, sizeof(*d));
}

long uh_http_jdoc_get(const struct uh_http_jdoc *d, long i, const char *key)
{
	size_t k = strlen(key);
	long c;

	if (i < 0 || d->t[i].type != UH_JT_OBJ)
		return -1;
	c = i + 1;
	for (uint32_t m = 0; m < d->t[i].n; m++) {
		const struct uh_http_jtok *kt = &d->t[c];

		if (kt->end - kt->start == k && memcmp(d->s + kt->start, key, k) == 0)
			return c + 1;
		c = (long)d->t[c + 1].next;
	}
	return -1;
}

int uh_http_jdoc_num(const struct uh_http_jdoc *d, long i, double *v)
{
	const struct uh_http_jtok *t;
	const char *a;
	size_t len;

	if (i < 0 || d->t[i].type != UH_JT_NUM)
		return -1;
	t = &d->t[i];
	a = d->s + t->start;
	len = t->end - t->start;
	/* short integers (token ids, offsets, logprobs like -1) exactly, without strtod */
	if (len <= 15) {
		size_t j = a[0] == '-';
		int64_t x = 0;

		while (j < len && a[j] >= '0' && a[j] <= '9')
			x = x * 10 + (a[j++] - '0');
		if (j == len) {
			*v = a[0] == '-' ? -(double)x : (double)x;
			return 0;
		}
	}
	/* the grammar was checked: strtod stops at the delimiter after the token */
	*v = strtod(a, NULL);
	return 0;
}

int uh_http_jdoc_int(const struct uh_http_jdoc *d, long i, double lo, double hi, long long *out)
{
	double v;

	if (uh_http_jdoc_num(d, i, &v) < 0 || !(v >= lo && v <= hi) || v != floor(v))
		return -1;
	*out = (long long)v;
	return 0;
}

const char *uh_http_jdoc_kind(const struct uh_http_jdoc *d, long i)
{
	if (i < 0)
		return "missing";
	switch (d->t[i].type) {
	case UH_JT_NULL: return "null";
	case UH_JT_NUM: return "a number";
	case UH_JT_STR: return "a string";
	case UH_JT_ARR: return "an array";
	case UH_JT_OBJ: return "an object";
	default: return "a boolean";
	}
}

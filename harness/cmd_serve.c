/*
 * cmd_serve.c - `uh serve`: an OpenAI-compatible completions server over
 * any backend (the server itself is harness/serve.c; this is its command
 * line). SIGINT and SIGTERM stop it cleanly: requests in flight finish.
 */
#include "harness/backends/registry.h"
#include "harness/cmds.h"
#include "harness/serve.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPTS 64

static const char usage[] =
	"usage: uh serve [--backend NAME|PATH.so] [--opt KEY=VALUE]... [--model NAME]\n"
	"                [--host ADDR] [--port P] [--threads N] [--max-model-len N]\n"
	"                [--log-requests FILE] [--stop-after N]\n"
	"\n"
	"Serve a uh backend over HTTP with vLLM's OpenAI-compatible API, so that any\n"
	"OpenAI/vLLM client (lm-eval's local-completions, uh run --backend openai)\n"
	"can score and generate with it.\n"
	"\n"
	"  --backend NAME|PATH   built-in backend (ngram, null) or a .so plugin (default ngram)\n"
	"  --opt KEY=VALUE       backend option, repeatable (ngram: train=FILE, order=N,\n"
	"                        discount=X; null: words=N)\n"
	"  --model NAME          the served model name (default: the backend's model id);\n"
	"                        requests naming another model get 404\n"
	"  --host ADDR           numeric address to listen on (default 127.0.0.1; 0.0.0.0 for all)\n"
	"  --port P              TCP port (default 8000; 0 picks a free one, printed at start)\n"
	"  --threads N           worker threads (default 1)\n"
	"  --max-model-len N     context length reported to clients (default 131072)\n"
	"  --log-requests FILE   append one line per answered prompt to FILE: the SHA-256\n"
	"                        of the prompt and of what decides its answer, so a prompt\n"
	"                        a client asked twice shows as a repeated line\n"
	"  --stop-after N        answer N completion requests, then refuse every later one\n"
	"                        with 503, like a server that went down (for testing how\n"
	"                        clients retry and resume)\n"
	"\n"
	"Endpoints: POST /v1/completions, POST /tokenize, POST /detokenize,\n"
	"GET /tokenizer_info, GET /v1/models, GET /stats (requests answered, failed\n"
	"and refused), GET /health. Decoding is greedy only\n"
	"(temperature 0); logprobs up to 20; token-id prompts need a backend with\n"
	"token ids (ngram has them).\n"
	"\n"
	"Example: an n-gram model trained on a text file, scored the way lm-eval does:\n"
	"\n"
	"  uh serve --opt train=corpus.txt --model tiny --port 8000 &\n"
	"  curl -s localhost:8000/tokenize -d '{\"prompt\": \"The cat sat\"}'\n"
	"  curl -s localhost:8000/v1/completions -H 'Content-Type: application/json' \\\n"
	"    -d '{\"model\": \"tiny\", \"prompt\": \"The cat sat\", \"max_tokens\": 0,\n"
	"         \"echo\": true, \"logprobs\": 1, \"temperature\": 0}'\n"
	"\n"
	"The answer's choices[0].logprobs.token_logprobs holds log p of every prompt\n"
	"token given the ones before it (null for the first); top_logprobs holds the\n"
	"most likely alternatives, so a token is greedy when its value is the largest.\n";

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (errno || end == s || *end || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

int uh_cmd_serve(int argc, char **argv)
{
	const char *backend = "ngram";
	char *keys[MAX_OPTS];
	const char *vals[MAX_OPTS];
	size_t n_opts = 0;
	struct uh_serve_opts so;
	struct uh_backend_config cfg;
	struct uh_backend b;
	struct uh_server *srv = NULL;
	struct uh_err err;
	sigset_t sigs, old;
	int status = 0, rc, sig = 0;

	uh_serve_opts_init(&so);
	uh_err_clear(&err);
	memset(&b, 0, sizeof(b));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		long x;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			goto out;
		}
		if (a[0] != '-' || !a[1]) {
			fprintf(stderr, "uh serve: unexpected argument '%s'\n%s", a, usage);
			status = 2;
			goto out;
		}
		if (strcmp(a, "--backend") && strcmp(a, "--opt") && strcmp(a, "--model") &&
		    strcmp(a, "--host") && strcmp(a, "--port") && strcmp(a, "--threads") &&
		    strcmp(a, "--max-model-len") && strcmp(a, "--log-requests") &&
		    strcmp(a, "--stop-after")) {
			fprintf(stderr, "uh serve: unknown option '%s' (see uh serve --help)\n", a);
			status = 2;
			goto out;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "uh serve: option '%s' needs a value\n", a);
			status = 2;
			goto out;
		}
		v = argv[++i];
		if (!strcmp(a, "--backend")) {
			backend = v;
		} else if (!strcmp(a, "--model")) {
			so.model = v;
		} else if (!strcmp(a, "--host")) {
			so.host = v;
		} else if (!strcmp(a, "--log-requests")) {
			so.log_requests = v;
		} else if (!strcmp(a, "--stop-after")) {
			if (parse_long(v, 1, 1L << 40, &x) < 0) {
				fprintf(stderr, "uh serve: --stop-after wants a positive integer, got '%s'\n", v);
				status = 2;
				goto out;
			}
			so.stop_after = x;
		} else if (!strcmp(a, "--opt")) {
			const char *eq = strchr(v, '=');

			if (!eq || eq == v) {
				fprintf(stderr, "uh serve: --opt wants KEY=VALUE, got '%s'\n", v);
				status = 2;
				goto out;
			}
			if (n_opts == MAX_OPTS) {
				fprintf(stderr, "uh serve: too many --opt (at most %d)\n", MAX_OPTS);
				status = 2;
				goto out;
			}
			if (!(keys[n_opts] = strndup(v, (size_t)(eq - v)))) {
				fprintf(stderr, "uh serve: out of memory\n");
				status = 3;
				goto out;
			}
			vals[n_opts++] = eq + 1;
		} else if (!strcmp(a, "--port")) {
			if (parse_long(v, 0, 65535, &x) < 0) {
				fprintf(stderr, "uh serve: --port wants an integer 0..65535, got '%s'\n", v);
				status = 2;
				goto out;
			}
			so.port = (int)x;
		} else if (!strcmp(a, "--threads")) {
			if (parse_long(v, 1, 1024, &x) < 0) {
				fprintf(stderr, "uh serve: --threads wants an integer 1..1024, got '%s'\n", v);
				status = 2;
				goto out;
			}
			so.threads = (unsigned)x;
		} else {
			if (parse_long(v, 1, 1L << 40, &x) < 0) {
				fprintf(stderr, "uh serve: --max-model-len wants a positive integer, got '%s'\n", v);
				status = 2;
				goto out;
			}
			so.max_model_len = x;
		}
	}

	cfg.model = so.model;
	cfg.keys = (const char *const *)keys;
	cfg.values = vals;
	cfg.n = n_opts;
	if ((rc = uh_backend_open(&b, backend, &cfg, &err)) < 0 ||
	    (rc = uh_serve_new(&b, &so, &srv, &err)) < 0) {
		fprintf(stderr, "uh serve: %s\n", err.msg);
		status = uh_exit_status(rc);
		goto out;
	}

	/* block the signals before the server's threads start, so only sigwait sees them */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	if ((rc = uh_serve_start(srv, &err)) < 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		fprintf(stderr, "uh serve: %s\n", err.msg);
		status = uh_exit_status(rc);
		goto out;
	}
	fprintf(stderr, "uh serve: backend '%s' (model '%s') on http://%s%s%s:%d (Ctrl-C to stop)\n",
		backend, uh_serve_model(srv), strchr(so.host, ':') ? "[" : "", so.host,
		strchr(so.host, ':') ? "]" : "", uh_serve_port(srv));
	printf("%d\n", uh_serve_port(srv));
	fflush(stdout);
	while (sigwait(&sigs, &sig) != 0)
		;
	fprintf(stderr, "uh serve: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
	uh_serve_free(srv);
	srv = NULL;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
	uh_serve_free(srv);
	uh_backend_close(&b);
	for (size_t k = 0; k < n_opts; k++)
		free(keys[k]);
	return status;
}

/*
 * run_cli.h - what the two `uh-run` command lines share: the TOFU one
 * (harness/cmd_run.c) and the MUSE / Harry Potter one
 * (harness/cmd_run_suites.c). The options both take (--backend, --model,
 * --opt, --db, --tag, --seed, --batch, --quiet, --no-cache,
 * --cache-read-only, --help), the folder a synthetic set is cached in, the
 * request cache, and the backend opened from --backend/--opt/--model and put
 * behind that cache.
 *
 * These are the tool's helpers, not the library's: they print their
 * messages to stderr with the "uh run: " prefix, as the commands do.
 * Ownership: const arguments are borrowed.
 */
#ifndef UH_HARNESS_RUN_CLI_H
#define UH_HARNESS_RUN_CLI_H

#include "harness/backends/registry.h"
#include "harness/err.h"
#include "results/cache.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define UH_RUN_CLI_MAX_OPTS 64

/* The --help lines of the flags every uh-run suite takes. */
#define UH_RUN_CLI_HELP_FLAGS \
	"  --no-cache            do not use the request cache (by default every answer\n" \
	"                        is kept in the database as soon as it arrives, and a\n" \
	"                        rerun of a command, e.g. after a crash, asks the\n" \
	"                        backend only for what is missing)\n" \
	"  --cache-read-only     use the answers in the request cache but store none\n" \
	"  --quiet               no progress on stderr\n"

/* The options of every uh-run suite. Values are borrowed from argv; opt_keys are owned. */
struct uh_run_cli {
	const char *backend, *model, *db, *tag;
	char *opt_keys[UH_RUN_CLI_MAX_OPTS];  /* --opt KEY=VALUE */
	const char *opt_vals[UH_RUN_CLI_MAX_OPTS];
	size_t n_opts;
	uint64_t seed;
	size_t batch;
	bool help, quiet, no_cache, cache_read_only;
};

/* Defaults: batch UH_RUN_DEFAULT_BATCH, everything else zero. */
void uh_run_cli_init(struct uh_run_cli *c);

/* Free the --opt keys (c may be reused after uh_run_cli_init). */
void uh_run_cli_release(struct uh_run_cli *c);

/* One of a command's own valued options: its value is stored in *str, or, with str NULL, handed to the callback. */
struct uh_run_cli_opt {
	const char *name;  /* "--split" */
	const char **str;
};

/*
 * Parse argv[1..argc): the options of c and the command's opts[0..n)
 * ("--name value" or "--name=value"). A value of an option without str
 * goes to number(ctx, name, value), which returns 0 or an exit status after
 * printing why. Returns 0, or the exit status (2, 3) after printing why.
 * With --help, c->help is set and parsing stops there.
 */
int uh_run_cli_parse(struct uh_run_cli *c, int argc, char **argv, const struct uh_run_cli_opt *opts,
		     size_t n, int (*number)(void *ctx, const char *name, const char *value), void *ctx);

/* The command line, for provenance (arguments with spaces quoted). Caller frees; NULL: no memory. */
char *uh_run_cli_command_line(int argc, char **argv);

/* --data DIR: DIR copied into data, or UH_EINVAL when it is not a folder. */
int uh_run_cli_data_dir(const char *dir, char *data, size_t len, struct uh_err *err);

/*
 * The folder of a cached synthetic set called name: $XDG_CACHE_HOME/uh/name,
 * else ~/.cache/uh/name, else <db>.cache/name.
 */
void uh_run_cli_synth_dir(const char *db, const char *name, char *dir, size_t len);

/*
 * Whether dir holds a synthetic set to reuse: its UH_SYNTH_MARKER says
 * exactly marker and every file of the NULL-terminated files is there.
 */
bool uh_run_cli_synth_cached(const char *dir, const char *marker, const char *const *files);

/*
 * The request cache of database db, in *out (the caller's, closed with
 * uh_cache_close): NULL with --no-cache or an in-memory database, read-only
 * with --cache-read-only; its warnings go to stderr.
 */
int uh_run_cli_cache_open(const struct uh_run_cli *c, const char *db, struct uh_cache **out,
			  struct uh_err *err);

/*
 * *use is b, or b behind cache (wrapped into cb) when cache is not NULL.
 * cfg is what b was opened with (it joins the cache identity of a backend
 * that has no model id; NULL for an embedded model).
 */
int uh_run_cli_through_cache(struct uh_cache *cache, struct uh_backend *b, struct uh_backend *cb,
			     const struct uh_backend_config *cfg, struct uh_backend **use,
			     struct uh_err *err);

/* Open c->backend with c->model and the --opt pairs into b, then uh_run_cli_through_cache. */
int uh_run_cli_open_backend(const struct uh_run_cli *c, struct uh_cache *cache, struct uh_backend *b,
			    struct uh_backend *cb, struct uh_backend **use, struct uh_err *err);

/*
 * The code of a failed run through use: the registry reports any failure of
 * a wrapped backend as UH_EIO; behind the cache this keeps the backend's own
 * code (an impossible answer stays UH_EINVAL, exit status 2).
 */
int uh_run_cli_failure_code(const struct uh_backend *use, int rc, struct uh_err *err);

/* The summary line "cache: H hits, M misses" (or "cache: off" for a NULL cache). */
void uh_run_cli_print_cache(FILE *f, const struct uh_cache *cache, bool read_only);

#endif

/*
 * cmd_synth.c - `uh synth <kind> --out DIR [--seed S] [--authors N] [--force]`:
 * write a deterministic synthetic dataset in an upstream benchmark's layout.
 * Layouts: TOFU (suites/synth_tofu.h), MUSE and Harry Potter
 * (suites/synth_muse_hp.h).
 */
#include "harness/cli.h"
#include "harness/cmds.h"
#include "harness/err.h"
#include "suites/synth_muse_hp.h"
#include "suites/synth_tofu.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uh synth <kind> --out DIR [--seed S] [--authors N | --size N] [--force]\n"
		"\n"
		"Write a synthetic dataset with an upstream benchmark's files and fields.\n"
		"The same arguments always give byte-identical files.\n"
		"\n"
		"kinds:\n"
		"  tofu   the 15 files of locuslab/TOFU about uh's own fictitious authors\n"
		"  muse   MUSE's verbmem/, knowmem/, privleak/ (and raw/) JSON files about\n"
		"         uh's invented local news (--size N stories per set, default 100)\n"
		"  hp     SOUL/FLAT's hp_{train,test}_qa_{50,100,200,300}.jsonl about uh's\n"
		"         invented saga, hp.jsonl, retain.jsonl, heldout.txt (--size N\n"
		"         passages, default 100)\n"
		"\n"
		"options:\n"
		"  --out DIR     output folder, created if missing (required)\n"
		"  --seed S      unsigned 64-bit seed (default 0)\n"
		"  --authors N   fictitious authors, a multiple of 100 from 100 to %d (default %d)\n"
		"  --force       write into a non-empty folder that an earlier synth run did not make\n",
		UH_SYNTH_TOFU_MAX_AUTHORS, UH_SYNTH_TOFU_DEFAULT_AUTHORS);
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v;

	if (!*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < INT_MIN || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* What `uh synth KIND` was asked: --out, --seed, --force and the size (--authors or --size). */
struct synth_args {
	const char *out;
	uint64_t seed;
	int size;
	unsigned flags;
	bool help;
};

/*
 * Parse argv[2..argc) of `uh synth kind` into a; size_opt names its size
 * option. Returns 0, or 2 after printing why; after an unknown option the
 * usage follows when usage_on_unknown (as `uh synth tofu` always did).
 * With --help, a->help is set and parsing stops there.
 */
static int parse_synth_args(const char *kind, const char *size_opt, bool usage_on_unknown, int argc,
			    char **argv, struct synth_args *a)
{
	const char *v;

	for (int i = 2; i < argc; i++) {
		bool missing = false;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			a->help = true;
			return 0;
		}
		if (!strcmp(argv[i], "--force")) {
			a->flags |= UH_SYNTH_FORCE;
		} else if ((v = uh_cli_opt_value(argc, argv, &i, "--out", &missing))) {
			a->out = v;
		} else if ((v = uh_cli_opt_value(argc, argv, &i, "--seed", &missing))) {
			if (!uh_cli_parse_u64(v, UINT64_MAX, &a->seed)) {
				fprintf(stderr, "uh synth %s: --seed must be an unsigned 64-bit integer, got '%s'\n", kind, v);
				return 2;
			}
		} else if ((v = uh_cli_opt_value(argc, argv, &i, size_opt, &missing))) {
			if (parse_int(v, &a->size) != 0) {
				fprintf(stderr, "uh synth %s: %s must be an integer, got '%s'\n", kind, size_opt, v);
				return 2;
			}
		} else if (missing) {
			fprintf(stderr, "uh synth %s: option '%s' needs a value\n", kind, argv[i]);
			return 2;
		} else {
			fprintf(stderr, "uh synth %s: unknown option '%s'\n", kind, argv[i]);
			if (usage_on_unknown)
				usage(stderr);
			return 2;
		}
	}
	if (!a->out || !*a->out) {
		fprintf(stderr, "uh synth %s: --out DIR is required\n", kind);
		return 2;
	}
	return 0;
}

/* `uh synth muse|hp --out DIR [--seed S] [--size N] [--force]` */
static int synth_muse_hp(const char *kind, int argc, char **argv)
{
	struct synth_args a = { .size = 100 };
	struct uh_err err;
	int rc;

	rc = parse_synth_args(kind, "--size", false, argc, argv, &a);
	if (a.help) {
		usage(stdout);
		return 0;
	}
	if (rc)
		return rc;
	rc = !strcmp(kind, "muse") ? uh_synth_muse(a.out, a.seed, a.size, a.flags, &err)
				   : uh_synth_hp(a.out, a.seed, a.size, a.flags, &err);
	if (rc != 0) {
		fprintf(stderr, "uh synth %s: %s\n", kind, err.msg);
		return uh_exit_status(rc);
	}
	printf("uh synth %s: wrote %s to %s (%d %s, seed %" PRIu64 ")\n", kind,
	       !strcmp(kind, "muse") ? "verbmem/, knowmem/, privleak/ and raw/" : "the hp_*_qa_*.jsonl files, "
	       "hp.jsonl, retain.jsonl and heldout.txt", a.out, a.size, !strcmp(kind, "muse") ? "stories" : "passages",
	       a.seed);
	return 0;
}

int uh_cmd_synth(int argc, char **argv)
{
	struct synth_args a = { .size = UH_SYNTH_TOFU_DEFAULT_AUTHORS };
	const char *kind;
	struct uh_err err;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "uh synth: missing the dataset kind (tofu, muse, hp)\n");
		usage(stderr);
		return 2;
	}
	kind = argv[1];
	if (!strcmp(kind, "--help") || !strcmp(kind, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(kind, "muse") || !strcmp(kind, "hp"))
		return synth_muse_hp(kind, argc, argv);
	if (strcmp(kind, "tofu") != 0) {
		fprintf(stderr, "uh synth: unknown kind '%s' (available: tofu, muse, hp)\n", kind);
		return 2;
	}
	rc = parse_synth_args(kind, "--authors", true, argc, argv, &a);
	if (a.help) {
		usage(stdout);
		return 0;
	}
	if (rc)
		return rc;
	rc = uh_synth_tofu(a.out, a.seed, a.size, a.flags, &err);
	if (rc != 0) {
		fprintf(stderr, "uh synth tofu: %s\n", err.msg);
		return uh_exit_status(rc);
	}
	printf("uh synth tofu: wrote 15 files to %s (%d authors, %d QA rows, seed %" PRIu64 ")\n", a.out, a.size,
	       a.size * UH_SYNTH_TOFU_QA_PER_AUTHOR, a.seed);
	return 0;
}

/*
 * cmd_synth.c - `uh synth <kind> --out DIR [--seed S] [--authors N] [--force]`:
 * write a deterministic synthetic dataset in an upstream benchmark's layout.
 * Layouts: TOFU (suites/synth_tofu.h), MUSE and Harry Potter
 * (suites/synth_muse_hp.h).
 */
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

/* Value of "--opt VALUE" or "--opt=VALUE" at argv[*i]; NULL if argv[*i] is not opt. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt, int *missing)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = (uint64_t)v;
	return 0;
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

/* `uh synth muse|hp --out DIR [--seed S] [--size N] [--force]` */
static int synth_muse_hp(const char *kind, int argc, char **argv)
{
	const char *out = NULL, *v;
	uint64_t seed = 0;
	int size = 100;
	unsigned flags = 0;
	struct uh_err err;
	int rc;

	for (int i = 2; i < argc; i++) {
		int missing = 0;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--force")) {
			flags |= UH_SYNTH_FORCE;
		} else if ((v = opt_value(argc, argv, &i, "--out", &missing))) {
			out = v;
		} else if ((v = opt_value(argc, argv, &i, "--seed", &missing))) {
			if (parse_u64(v, &seed) != 0) {
				fprintf(stderr, "uh synth %s: --seed must be an unsigned 64-bit integer, got '%s'\n", kind, v);
				return 2;
			}
		} else if ((v = opt_value(argc, argv, &i, "--size", &missing))) {
			if (parse_int(v, &size) != 0) {
				fprintf(stderr, "uh synth %s: --size must be an integer, got '%s'\n", kind, v);
				return 2;
			}
		} else if (missing) {
			fprintf(stderr, "uh synth %s: option '%s' needs a value\n", kind, argv[i]);
			return 2;
		} else {
			fprintf(stderr, "uh synth %s: unknown option '%s'\n", kind, argv[i]);
			return 2;
		}
	}
	if (!out || !*out) {
		fprintf(stderr, "uh synth %s: --out DIR is required\n", kind);
		return 2;
	}
	rc = !strcmp(kind, "muse") ? uh_synth_muse(out, seed, size, flags, &err)
				   : uh_synth_hp(out, seed, size, flags, &err);
	if (rc != 0) {
		fprintf(stderr, "uh synth %s: %s\n", kind, err.msg);
		return uh_exit_status(rc);
	}
	printf("uh synth %s: wrote %s to %s (%d %s, seed %" PRIu64 ")\n", kind,
	       !strcmp(kind, "muse") ? "verbmem/, knowmem/, privleak/ and raw/" : "the hp_*_qa_*.jsonl files, "
	       "hp.jsonl, retain.jsonl and heldout.txt", out, size, !strcmp(kind, "muse") ? "stories" : "passages",
	       seed);
	return 0;
}

int uh_cmd_synth(int argc, char **argv)
{
	const char *kind, *out = NULL, *v;
	uint64_t seed = 0;
	int authors = UH_SYNTH_TOFU_DEFAULT_AUTHORS;
	unsigned flags = 0;
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

	for (int i = 2; i < argc; i++) {
		int missing = 0;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--force")) {
			flags |= UH_SYNTH_FORCE;
		} else if ((v = opt_value(argc, argv, &i, "--out", &missing))) {
			out = v;
		} else if ((v = opt_value(argc, argv, &i, "--seed", &missing))) {
			if (parse_u64(v, &seed) != 0) {
				fprintf(stderr, "uh synth tofu: --seed must be an unsigned 64-bit integer, got '%s'\n", v);
				return 2;
			}
		} else if ((v = opt_value(argc, argv, &i, "--authors", &missing))) {
			if (parse_int(v, &authors) != 0) {
				fprintf(stderr, "uh synth tofu: --authors must be an integer, got '%s'\n", v);
				return 2;
			}
		} else if (missing) {
			fprintf(stderr, "uh synth tofu: option '%s' needs a value\n", argv[i]);
			return 2;
		} else {
			fprintf(stderr, "uh synth tofu: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!out || !*out) {
		fprintf(stderr, "uh synth tofu: --out DIR is required\n");
		return 2;
	}
	rc = uh_synth_tofu(out, seed, authors, flags, &err);
	if (rc != 0) {
		fprintf(stderr, "uh synth tofu: %s\n", err.msg);
		return uh_exit_status(rc);
	}
	printf("uh synth tofu: wrote 15 files to %s (%d authors, %d QA rows, seed %" PRIu64 ")\n", out, authors,
	       authors * UH_SYNTH_TOFU_QA_PER_AUTHOR, seed);
	return 0;
}

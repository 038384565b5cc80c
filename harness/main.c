/*
 * main.c - the uh command table. `uh-run` is `uh run` (argv[0] ends in -run).
 */
#include "harness/cmds.h"
#include "harness/version.h"

#include <stdio.h>
#include <string.h>

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct cmd commands[] = {
	{ "run", uh_cmd_run, "evaluate one model on one suite split (also: uh-run)" },
	{ "metric", uh_cmd_metric, "compute one metric over JSONL (rouge, stem, ks, bleu, auc)" },
	{ "import", uh_cmd_import, "import official TOFU / open-unlearning eval logs into the store" },
	{ "synth", uh_cmd_synth, "write a deterministic synthetic dataset in an upstream layout" },
	{ "serve", uh_cmd_serve, "serve any backend over an OpenAI-compatible HTTP API" },
	{ "report", uh_cmd_report, "leaderboards from the store (html, csv, md, json)" },
	{ "gate", uh_cmd_gate, "pass or fail a run against release rules (for CI)" },
	{ "diff", uh_cmd_diff, "per-item differences between two runs, with a paired test" },
	{ "list", uh_cmd_list, "list the suites, or the stored runs" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: uh <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'uh <command> --help' describes one command.\n");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int main(int argc, char **argv)
{
	/* git style: `uh-run ARGS` is `uh run ARGS`. */
	if (argc >= 1 && ends_with(argv[0], "uh-run"))
		return uh_cmd_run(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("uh %s\n", UH_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "uh: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

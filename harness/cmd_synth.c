#include "harness/cmds.h"

#include <stdio.h>

int uh_cmd_synth(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "uh synth: not built yet\n");
	return 3;
}

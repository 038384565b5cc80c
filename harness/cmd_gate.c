#include "harness/cmds.h"

#include <stdio.h>

int uh_cmd_gate(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "uh gate: not built yet\n");
	return 3;
}

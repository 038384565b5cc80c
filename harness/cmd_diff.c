#include "harness/cmds.h"

#include <stdio.h>

int uh_cmd_diff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "uh diff: not built yet\n");
	return 3;
}

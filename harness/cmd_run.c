#include "harness/cmds.h"

#include <stdio.h>

int uh_cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "uh run: not built yet\n");
	return 3;
}

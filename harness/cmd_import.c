#include "harness/cmds.h"

#include <stdio.h>

int uh_cmd_import(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "uh import: not built yet\n");
	return 3;
}

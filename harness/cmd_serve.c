#include "harness/cmds.h"

#include <stdio.h>

int uh_cmd_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "uh serve: not built yet\n");
	return 3;
}

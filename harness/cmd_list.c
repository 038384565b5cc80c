#include "harness/cmds.h"

#include <stdio.h>

int uh_cmd_list(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "uh list: not built yet\n");
	return 3;
}

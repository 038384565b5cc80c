#include "harness/cmds.h"

#include <stdio.h>

int uh_cmd_metric(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "uh metric: not built yet\n");
	return 3;
}

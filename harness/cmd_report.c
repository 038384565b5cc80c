#include "harness/cmds.h"

#include <stdio.h>

int uh_cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "uh report: not built yet\n");
	return 3;
}

#include "harness/cmds.h"
#include "harness/err.h"

int uh_exit_status(int code)
{
	if (code == UH_OK)
		return 0;
	if (code == UH_EINVAL || code == UH_ENOTFOUND)
		return 2;
	return 3;
}

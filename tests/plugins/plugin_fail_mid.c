/* score fails on its 3rd call */
#define FAULT_FAIL_CALL 3
#include "fault.h"

/* sets UH_CAN_GENERATE without a generate callback */
#define FAULT_NO_GENERATE 1
#include "fault.h"

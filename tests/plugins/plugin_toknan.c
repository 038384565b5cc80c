/* a NaN token log-probability */
#define FAULT_SCORE SF_TOKNAN
#include "fault.h"

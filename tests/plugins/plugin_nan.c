/* logprob NaN */
#define FAULT_SCORE SF_NAN
#include "fault.h"

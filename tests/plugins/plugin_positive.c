/* logprob > 0 */
#define FAULT_SCORE SF_POS
#include "fault.h"

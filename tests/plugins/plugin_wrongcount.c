/* n_tokens 0 for a non-empty continuation */
#define FAULT_SCORE SF_COUNT
#include "fault.h"

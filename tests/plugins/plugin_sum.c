/* token_logprobs that do not sum to logprob */
#define FAULT_SCORE SF_SUM
#include "fault.h"

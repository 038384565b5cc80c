/* is_greedy 2 */
#define FAULT_SCORE SF_GREEDY
#include "fault.h"

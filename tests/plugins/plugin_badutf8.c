/* generate returns invalid UTF-8 */
#define FAULT_GEN GF_UTF8
#include "fault.h"

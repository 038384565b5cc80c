/* a table smaller than version 1's */
#define FAULT_TABLE_SIZE 32u
#include "fault.h"

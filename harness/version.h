/* version.h - the uh version string, recorded in every run's provenance. */
#ifndef UH_HARNESS_VERSION_H
#define UH_HARNESS_VERSION_H

#define UH_VERSION "0.1.0"

#endif

/*
 * synth_files.h - the output folder of `uh synth` (suites/synth_tofu.c,
 * suites/synth_muse_hp.c): made with its parents, refused when it holds
 * files but no marker of an earlier synth run, and each file written
 * through a temporary file and rename(2), so a reader never sees half a
 * file.
 *
 * Ownership: arguments are borrowed; messages go to the caller's err.
 */
#ifndef UH_SUITES_SYNTH_FILES_H
#define UH_SUITES_SYNTH_FILES_H

#include "harness/err.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Create dir and its parents when missing. A dir that holds anything but
 * no UH_SYNTH_MARKER (suites/synth_tofu.h) is refused with UH_EINVAL unless
 * force. Returns 0, UH_EINVAL, UH_ENOMEM or UH_EIO.
 */
int uh_synth_dir_prepare(const char *dir, bool force, struct uh_err *err);

/*
 * Write data[0..len) to dir/name, mode 0644; name may name a subfolder
 * ("verbmem/forget.json"), created when missing. The bytes go to a
 * temporary file beside the target, synced, then renamed over it; on
 * failure the temporary file is removed. Returns 0, UH_EINVAL, UH_ENOMEM
 * or UH_EIO.
 */
int uh_synth_file_write(const char *dir, const char *name, const char *data, size_t len,
			struct uh_err *err);

#endif

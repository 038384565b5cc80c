/*
 * cmds.h - the commands of the uh tool, one file each (harness/cmd_*.c).
 *
 * Each takes the arguments after its name (argv[0] is the command name),
 * prints to stdout/stderr and returns the process exit status:
 * 0 success, 1 a negative verdict (e.g. a failed gate), 2 usage or data error,
 * 3 an internal or environment failure. They live in the library so that
 * tests drive exactly the shipped code.
 */
#ifndef UH_HARNESS_CMDS_H
#define UH_HARNESS_CMDS_H

int uh_cmd_metric(int argc, char **argv);
int uh_cmd_import(int argc, char **argv);
int uh_cmd_synth(int argc, char **argv);
int uh_cmd_run(int argc, char **argv);
int uh_cmd_serve(int argc, char **argv);
int uh_cmd_report(int argc, char **argv);
int uh_cmd_gate(int argc, char **argv);
int uh_cmd_diff(int argc, char **argv);
int uh_cmd_list(int argc, char **argv);

/* Exit status for a library error code (UH_EINVAL -> 2, others -> 3). */
int uh_exit_status(int code);

#endif

/* The commands that run a guest, one process each: "itsy run", "itsy
 * restore", "itsy receive", and "itsy inspect" (which only reads a
 * snapshot). Each takes its argv (argv[0] is the command's name), parses
 * it with getopt_long, and returns the process exit status (vmm/vm.h). */
#ifndef ITSY_FRONT_COMMANDS_H
#define ITSY_FRONT_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_receive(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

#endif

/* cmd.h: the subcommands (one file each under src/cmd/) and their entry points. */
#ifndef FK_CMD_H
#define FK_CMD_H

int cmd_collapse(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_flamegraph(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_agent(int argc, char **argv);

#endif

// Routes a command to the module that owns its target. The whole
// inter-thread protocol is the enum in command.h plus this switch.

#include "io/command.h"

#include "core/err.h"
#include "core/socket.h"
#include "io/io_thread.h"
#include "pipe/pipe.h"

void
zmi_cmd_dispatch(zmi_cmd_t *cmd)
{
    switch (cmd->type) {
    case ZMI_CMD_ACTIVATE_READ:
    case ZMI_CMD_ACTIVATE_WRITE:
    case ZMI_CMD_PIPE_TERM:
    case ZMI_CMD_PIPE_TERM_ACK:
    case ZMI_CMD_PIPE_HICCUP:
        zmi_pipe_process(cmd);
        break;
    case ZMI_CMD_ATTACH_PIPE:
    case ZMI_CMD_IO_DONE:
    case ZMI_CMD_SOCKET_STOP:
        zmi_socket_process(cmd);
        break;
    case ZMI_CMD_IO_START: {
        zmi_io_object_t *o = cmd->target;
        o->start(o);
        break;
    }
    case ZMI_CMD_IO_STOP: {
        zmi_io_object_t *o = cmd->target;
        o->stop(o, (int) cmd->u.i);
        break;
    }
    case ZMI_CMD_THREAD_STOP:
    case ZMI_CMD_REAP:
        zmi_io_thread_process(cmd);
        break;
    }
}

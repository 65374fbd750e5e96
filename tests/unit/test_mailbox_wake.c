// Unit tests for the mailbox's wake-up written after the lock is released
// (src/io/mailbox.c): the owner may take a command and end at once, while
// its sender is still writing the signaler (fini must wait for it), and a
// wake-up that lands late is consumed, never left to spin a reactor.

#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>

#include "io/mailbox.h"

#define WAIT_MS 10000

static bool
fd_readable(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0 };
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

static void *
send_one(void *arg)
{
    zmi_cmd_t cmd = { .type = ZMI_CMD_ACTIVATE_READ };
    zmi_mailbox_send(arg, &cmd);
    return NULL;
}

// The owner ends right after taking the command that woke it: under ASan
// and TSan, a sender still touching the mailbox or its fd would show.
static void
test_owner_ends_right_after_wake(void **state)
{
    (void) state;
    for (int i = 0; i < 500; i++) {
        zmi_mailbox_t *mb = malloc(sizeof(*mb));
        assert_non_null(mb);
        assert_int_equal(zmi_mailbox_init(mb), 0);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, send_one, mb), 0);
        zmi_cmd_t cmd;
        assert_int_equal(zmi_mailbox_recv(mb, &cmd, WAIT_MS), 0);
        assert_int_equal(cmd.type, ZMI_CMD_ACTIVATE_READ);
        zmi_mailbox_fini(mb);
        free(mb);
        pthread_join(t, NULL);
    }
}

typedef struct {
    zmi_mailbox_t *mb;
    int count;
} burst_t;

static void *
send_burst(void *arg)
{
    burst_t *b = arg;
    for (int i = 0; i < b->count; i++) {
        zmi_cmd_t cmd = { .type = ZMI_CMD_ACTIVATE_WRITE };
        cmd.u.i = i;
        zmi_mailbox_send(b->mb, &cmd);
    }
    return NULL;
}

// Whatever the interleaving of sends, pops and late writes, once the
// senders are done and a non-waiting pop found nothing, no wake-up is left
// in the fd (a level-triggered reactor would spin on one).
static void
test_no_wake_up_left_behind(void **state)
{
    (void) state;
    zmi_mailbox_t mb;
    assert_int_equal(zmi_mailbox_init(&mb), 0);
    for (int round = 0; round < 50; round++) {
        burst_t b = { &mb, 2000 };
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, send_burst, &b), 0);
        for (int got = 0; got < b.count;) {
            zmi_cmd_t cmd;
            int rc = zmi_mailbox_recv(&mb, &cmd, round % 2 ? 0 : WAIT_MS);
            if (rc == 0) {
                assert_int_equal(cmd.u.i, got);
                got++;
            } else {
                assert_int_equal(rc, -EAGAIN);
            }
        }
        pthread_join(t, NULL);
        zmi_cmd_t cmd;
        assert_int_equal(zmi_mailbox_recv(&mb, &cmd, 0), -EAGAIN);
        assert_false(fd_readable(zmi_mailbox_fd(&mb)));
        assert_false(zmi_mailbox_has_pending(&mb));
    }
    zmi_mailbox_fini(&mb);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owner_ends_right_after_wake),
        cmocka_unit_test(test_no_wake_up_left_behind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

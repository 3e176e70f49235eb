/*
 * changes.c — commit notices (see changes.h).
 */
#include "store/changes.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

static atomic_llong latest;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    changes_listener fn;
    void *ctx;
} listeners[CHANGES_LISTENERS_MAX];
static size_t nlisteners;

void changes_published(int64_t seq)
{
    long long cur = atomic_load(&latest);
    while (seq > cur && !atomic_compare_exchange_weak(&latest, &cur, seq)) {
    }
    pthread_mutex_lock(&lock);
    size_t n = nlisteners;
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < n; i++) {
        listeners[i].fn(seq, listeners[i].ctx);
    }
}

int64_t changes_latest(void)
{
    return atomic_load(&latest);
}

int changes_listen(changes_listener fn, void *ctx)
{
    pthread_mutex_lock(&lock);
    int ok = nlisteners < CHANGES_LISTENERS_MAX;
    if (ok) {
        listeners[nlisteners].fn = fn;
        listeners[nlisteners].ctx = ctx;
        nlisteners++;
    }
    pthread_mutex_unlock(&lock);
    return ok;
}

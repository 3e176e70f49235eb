/*
 * kv_embedded.c — the in-process rate table rate_limit_hit falls back to
 * without Redis (see kv_internal.h).
 *
 * A fixed pool of entries, a chained hash index over them and a
 * least-recently-hit list, all under one mutex: a hit is O(1), memory is
 * bounded by the capacity given at creation, and when the pool is full the
 * bucket hit longest ago is evicted (usually one whose window has long
 * ended). It must not allocate per hit, or a flood of new client addresses
 * could grow it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/limits.h"
#include "kv/kv_internal.h"

#define NONE (-1)

struct rate_entry {
    char bucket[KV_RATE_BUCKET_BYTES_MAX + 1];
    int window_s;
    int64_t window_index;
    int64_t count;
    uint32_t hash;
    int32_t chain_next; /* next entry in the same hash chain */
    int32_t newer;      /* toward the most recently hit */
    int32_t older;      /* toward the least recently hit */
};

struct rate_table {
    pthread_mutex_t lock;
    size_t capacity;
    size_t used;
    size_t nheads; /* a power of two, at least twice the capacity */
    int32_t *heads;
    struct rate_entry *entries;
    int32_t newest;
    int32_t oldest;
};

/* FNV-1a over the bucket name and the window length. */
static uint32_t hash_of(const char *bucket, int window_s)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)bucket; *p; p++) {
        h = (h ^ *p) * 16777619u;
    }
    return (h ^ (uint32_t)window_s) * 16777619u;
}

struct rate_table *rate_table_new(size_t capacity)
{
    LU_ASSERT(capacity >= 1 && capacity <= (size_t)INT32_MAX / 4);
    struct rate_table *t = calloc(1, sizeof *t);
    if (t == NULL) {
        return NULL;
    }
    t->capacity = capacity;
    t->nheads = 1;
    while (t->nheads < 2 * capacity) {
        t->nheads *= 2;
    }
    t->heads = malloc(t->nheads * sizeof *t->heads);
    t->entries = calloc(capacity, sizeof *t->entries);
    if (t->heads == NULL || t->entries == NULL) {
        rate_table_free(t);
        return NULL;
    }
    for (size_t i = 0; i < t->nheads; i++) {
        t->heads[i] = NONE;
    }
    t->newest = t->oldest = NONE;
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void rate_table_free(struct rate_table *t)
{
    if (t == NULL) {
        return;
    }
    if (t->heads != NULL && t->entries != NULL) {
        pthread_mutex_destroy(&t->lock);
    }
    free(t->heads);
    free(t->entries);
    free(t);
}

static void lru_unlink(struct rate_table *t, int32_t i)
{
    struct rate_entry *e = &t->entries[i];
    if (e->newer != NONE) {
        t->entries[e->newer].older = e->older;
    } else {
        t->newest = e->older;
    }
    if (e->older != NONE) {
        t->entries[e->older].newer = e->newer;
    } else {
        t->oldest = e->newer;
    }
    e->newer = e->older = NONE;
}

static void lru_push_newest(struct rate_table *t, int32_t i)
{
    struct rate_entry *e = &t->entries[i];
    e->older = t->newest;
    e->newer = NONE;
    if (t->newest != NONE) {
        t->entries[t->newest].newer = i;
    }
    t->newest = i;
    if (t->oldest == NONE) {
        t->oldest = i;
    }
}

static void chain_unlink(struct rate_table *t, int32_t i)
{
    int32_t *link = &t->heads[t->entries[i].hash & (t->nheads - 1)];
    /* The chain holds at most capacity entries; i is on it by construction. */
    for (size_t steps = 0; *link != NONE && steps <= t->capacity; steps++) {
        if (*link == i) {
            *link = t->entries[i].chain_next;
            return;
        }
        link = &t->entries[*link].chain_next;
    }
    LU_ASSERT(!"rate entry missing from its hash chain");
}

static int32_t find(struct rate_table *t, const char *bucket, int window_s, uint32_t h)
{
    int32_t i = t->heads[h & (t->nheads - 1)];
    for (size_t steps = 0; i != NONE && steps <= t->capacity; steps++) {
        struct rate_entry *e = &t->entries[i];
        if (e->hash == h && e->window_s == window_s && strcmp(e->bucket, bucket) == 0) {
            return i;
        }
        i = e->chain_next;
    }
    return NONE;
}

/* A slot for a new bucket: the next never-used one, else the oldest. */
static int32_t take_slot(struct rate_table *t)
{
    if (t->used < t->capacity) {
        return (int32_t)t->used++;
    }
    int32_t victim = t->oldest;
    LU_ASSERT(victim != NONE);
    lru_unlink(t, victim);
    chain_unlink(t, victim);
    return victim;
}

int64_t rate_table_hit(struct rate_table *t, const char *bucket, int window_s, int64_t window_index)
{
    size_t len = strlen(bucket);
    LU_ASSERT(len >= 1 && len <= KV_RATE_BUCKET_BYTES_MAX && window_s > 0);
    uint32_t h = hash_of(bucket, window_s);
    pthread_mutex_lock(&t->lock);
    int32_t i = find(t, bucket, window_s, h);
    if (i == NONE) {
        i = take_slot(t);
        struct rate_entry *e = &t->entries[i];
        memcpy(e->bucket, bucket, len + 1);
        e->window_s = window_s;
        e->window_index = window_index;
        e->count = 0;
        e->hash = h;
        e->chain_next = t->heads[h & (t->nheads - 1)];
        t->heads[h & (t->nheads - 1)] = i;
    } else {
        lru_unlink(t, i);
    }
    lru_push_newest(t, i);
    struct rate_entry *e = &t->entries[i];
    if (e->window_index != window_index) {
        /* A new window (or, after a clock step back, an older one): count
         * afresh rather than carry hits across windows. */
        e->window_index = window_index;
        e->count = 0;
    }
    int64_t count = ++e->count;
    pthread_mutex_unlock(&t->lock);
    LU_ASSERT(count >= 1);
    return count;
}

size_t rate_table_size(struct rate_table *t)
{
    pthread_mutex_lock(&t->lock);
    size_t n = t->used;
    pthread_mutex_unlock(&t->lock);
    return n;
}

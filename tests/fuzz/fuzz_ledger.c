/*
 * fuzz_ledger.c — libFuzzer driver for Stripe event parsing and folding
 * (src/ledger/ledger.c): parse an event body, take its snapshots and merge
 * each into a record, fresh and again, as the store does on replay.
 */
#include <assert.h>

#include "fuzz_common.h"
#include "ledger/ledger.h"

#define SNAPSHOTS_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ledger_event ev;
    const char *why = NULL;
    if (ledger_event_parse((const char *)data, size, &ev, &why) != LU_OK) {
        assert(why != NULL);
        return 0;
    }
    (void)ledger_event_type_folds(ev.type);
    struct ledger_record snaps[SNAPSHOTS_MAX];
    memset(snaps, 0, sizeof snaps);
    size_t n = ledger_event_snapshots(&ev, snaps, SNAPSHOTS_MAX);
    assert(n <= SNAPSHOTS_MAX);
    for (size_t i = 0; i < n; i++) {
        struct ledger_record rec;
        memset(&rec, 0, sizeof rec);
        (void)ledger_record_merge(&rec, true, &snaps[i]);
        (void)ledger_record_merge(&rec, false, &snaps[i]);
        (void)ledger_record_terminal(&rec);
        (void)ledger_kind_name(rec.kind);
        char diff[256];
        (void)ledger_record_same(&rec, &snaps[i], diff, sizeof diff);
        char money[64];
        ledger_money_format(rec.amount, rec.currency, money, sizeof money);
    }
    if (n > 0) {
        (void)ledger_group_key(snaps, n, 0);
    }
    ledger_event_free(&ev);
    return 0;
}

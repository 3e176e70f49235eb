/*
 * test_twilio.c — unit tests for intake's provider parsing: form bodies,
 * Twilio's request signature, a Twilio message's channel and media,
 * contact normalisation, and Postmark's inbound JSON.
 *
 * Signature vectors are independent of this code: the first two are the
 * examples of Twilio's security documentation; the others were computed
 * with Python's hmac/hashlib/base64 following RequestValidator's
 * compute_signature (names sorted, then each name's values sorted):
 *   url + "".join(n + v for n in sorted(set(names)) for v in sorted(values))
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intake/intake.h"

static void parse(const char *body, struct form *f)
{
    assert_int_equal(intake_form_parse(body, strlen(body), f), LU_OK);
}

/* --- form bodies ----------------------------------------------------------- */

static void test_form_decoding(void **state)
{
    (void)state;
    struct form f;
    parse("Body=Caf%C3%A9+ok%21&From=whatsapp%3A%2B447700900123&&Empty=&Bare&bad=%zz%4&pct=100%",
          &f);
    assert_int_equal(f.n, 6);
    assert_string_equal(intake_form_get(&f, "Body"), "Caf\xC3\xA9 ok!");
    assert_string_equal(intake_form_get(&f, "From"), "whatsapp:+447700900123");
    assert_string_equal(intake_form_get(&f, "Empty"), "");
    assert_string_equal(intake_form_get(&f, "Bare"), "");
    assert_string_equal(intake_form_get(&f, "bad"), "%zz%4"); /* malformed escapes stay */
    assert_string_equal(intake_form_get(&f, "pct"), "100%");
    assert_null(intake_form_get(&f, "body")); /* names are case-sensitive */
    intake_form_free(&f);

    parse("", &f);
    assert_int_equal(f.n, 0);
    intake_form_free(&f);

    parse("a%3Db=c%26d", &f); /* escaped separators are data */
    assert_int_equal(f.n, 1);
    assert_string_equal(f.pairs[0].name, "a=b");
    assert_string_equal(f.pairs[0].value, "c&d");
    intake_form_free(&f);
}

static void test_form_bounded(void **state)
{
    (void)state;
    char body[INTAKE_FORM_PARAMS_MAX * 8 + 16];
    size_t len = 0;
    for (int i = 0; i < INTAKE_FORM_PARAMS_MAX; i++) {
        len += (size_t)snprintf(body + len, sizeof body - len, "p%d=1&", i);
    }
    struct form f;
    assert_int_equal(intake_form_parse(body, len, &f), LU_OK);
    assert_int_equal(f.n, INTAKE_FORM_PARAMS_MAX);
    intake_form_free(&f);
    len += (size_t)snprintf(body + len, sizeof body - len, "one=more");
    assert_int_equal(intake_form_parse(body, len, &f), LU_TOO_LARGE);
    intake_form_free(&f);
}

/* --- signatures ---------------------------------------------------------------- */

struct vector {
    const char *token;
    const char *url;
    const char *body;
    const char *signature;
};

static const struct vector VECTORS[] = {
    /* Twilio's documentation, both versions of its example. */
    {"12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
     "To=%2B18005551212&From=%2B14158675310&Digits=1234&Caller=%2B14158675310&"
     "CallSid=CA1234567890ABCDE",
     "GvWf1cFY/Q7PnoempGyD5oXAezc="},
    {"12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
     "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&"
     "To=%2B18005551212",
     "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
    /* Sort order matters: upper case before lower, "MediaUrl10" before
     * "MediaUrl2", and the URL's own query is signed as it stands. */
    {"tok_abc", "https://lucia.example.com/webhooks/twilio?property=villa&z=1",
     "body=lower&Body=Upper&To=%2B15550001111&a=1&B=2&MediaUrl10=x&MediaUrl2=y",
     "tYLDy1CGlFFSJ/mj5MNUbGi5ddg="},
    /* A repeated name (values sorted), a blank value, UTF-8 and escapes. */
    {"tok_abc", "http://127.0.0.1:8080/webhooks/twilio",
     "x=b&x=a&Empty=&Body=Caf%C3%A9+ok%21&From=whatsapp%3A%2B447700900123",
     "NBUb3f6Q5E6grAlHrW7V2UcmojM="},
};

static void test_signature_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
        const struct vector *v = &VECTORS[i];
        struct form f;
        parse(v->body, &f);
        char sig[TWILIO_SIGNATURE_BYTES];
        assert_int_equal(intake_twilio_signature(v->token, v->url, &f, sig), LU_OK);
        assert_string_equal(sig, v->signature);
        assert_true(intake_twilio_verify(v->token, v->url, &f, v->signature));
        intake_form_free(&f);
    }
}

static void test_signature_refusals(void **state)
{
    (void)state;
    const struct vector *v = &VECTORS[2];
    struct form f;
    parse(v->body, &f);
    assert_false(intake_twilio_verify(v->token, v->url, &f, NULL));
    assert_false(intake_twilio_verify(v->token, v->url, &f, ""));
    assert_false(intake_twilio_verify(NULL, v->url, &f, v->signature));
    assert_false(intake_twilio_verify("", v->url, &f, v->signature));
    assert_false(intake_twilio_verify("tok_abd", v->url, &f, v->signature));
    /* Another query, path or host is another URL. */
    assert_false(intake_twilio_verify(v->token, "https://lucia.example.com/webhooks/twilio",
                                      &f, v->signature));
    assert_false(intake_twilio_verify(
        v->token, "https://lucia.example.com/webhooks/twilio?property=villa&z=2", &f,
        v->signature));
    assert_false(intake_twilio_verify(
        v->token, "https://evil.example.com/webhooks/twilio?property=villa&z=1", &f,
        v->signature));
    /* One character of the signature changed, or one more, or one less. */
    char sig[64];
    snprintf(sig, sizeof sig, "%s", v->signature);
    sig[3] = sig[3] == 'A' ? 'B' : 'A';
    assert_false(intake_twilio_verify(v->token, v->url, &f, sig));
    snprintf(sig, sizeof sig, "%sA", v->signature);
    assert_false(intake_twilio_verify(v->token, v->url, &f, sig));
    snprintf(sig, sizeof sig, "%.27s", v->signature);
    assert_false(intake_twilio_verify(v->token, v->url, &f, sig));
    intake_form_free(&f);

    /* A changed or added parameter. */
    parse("body=lower&Body=Upper&To=%2B15550001112&a=1&B=2&MediaUrl10=x&MediaUrl2=y", &f);
    assert_false(intake_twilio_verify(v->token, v->url, &f, v->signature));
    intake_form_free(&f);
    parse("body=lower&Body=Upper&To=%2B15550001111&a=1&B=2&MediaUrl10=x&MediaUrl2=y&c=", &f);
    assert_false(intake_twilio_verify(v->token, v->url, &f, v->signature));
    intake_form_free(&f);
}

/* RequestValidator.validate accepts the URL with and without its port. */
static void test_signature_ports(void **state)
{
    (void)state;
    struct form f;
    parse("MessageSid=SM1", &f);
    /* Signed over https://example.com:443/…; received as https://example.com/… */
    assert_true(intake_twilio_verify("tok_abc", "https://example.com/webhooks/twilio", &f,
                                     "V5Hx56x7IvYOZs7PoU8x1ovZdZs="));
    assert_true(intake_twilio_verify("tok_abc", "https://example.com:443/webhooks/twilio", &f,
                                     "V5Hx56x7IvYOZs7PoU8x1ovZdZs="));
    /* Signed over http://example.com/…; configured with :80. */
    assert_true(intake_twilio_verify("tok_abc", "http://example.com:80/webhooks/twilio", &f,
                                     "Ojvxk8nw2cCLv+k0tDtvTI8XMV0="));
    assert_false(intake_twilio_verify("tok_abc", "http://example.com:8080/x/webhooks/twilio", &f,
                                      "Ojvxk8nw2cCLv+k0tDtvTI8XMV0="));
    intake_form_free(&f);
}

/* --- a Twilio message ---------------------------------------------------------- */

static void test_twilio_channels(void **state)
{
    (void)state;
    struct {
        const char *body;
        const char *channel;
        size_t media;
    } cases[] = {
        {"MessageSid=SM1&From=%2B14155550123&To=%2B1555&Body=hi&NumMedia=0", "sms", 0},
        {"MessageSid=SM2&From=%2B14155550123&Body=&NumMedia=2&MediaUrl0=https%3A%2F%2Fapi.twilio"
         ".com%2Fm0&MediaContentType0=image%2Fjpeg&MediaUrl1=https%3A%2F%2Fapi.twilio.com%2Fm1&"
         "MediaContentType1=video%2Fmp4",
         "mms", 2},
        {"MessageSid=SM3&From=whatsapp%3A%2B14155550123&Body=ciao&NumMedia=1&MediaUrl0=u&"
         "MediaContentType0=image%2Fpng",
         "whatsapp", 1},
        {"SmsSid=SM4&From=%2B14155550123&Body=old+style", "sms", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct form f;
        parse(cases[i].body, &f);
        struct intake_message m;
        json_t *media = NULL;
        const char *field = NULL;
        assert_int_equal(intake_twilio_message(&f, &m, &media, &field), LU_OK);
        assert_string_equal(m.channel, cases[i].channel);
        assert_string_equal(m.provider, "twilio");
        assert_int_equal(media ? json_array_size(media) : 0, cases[i].media);
        if (i == 1) {
            json_t *second = json_array_get(media, 1);
            assert_string_equal(json_string_value(json_object_get(second, "url")),
                                "https://api.twilio.com/m1");
            assert_string_equal(json_string_value(json_object_get(second, "content_type")),
                                "video/mp4");
        }
        json_decref(media);
        intake_form_free(&f);
    }
}

static void test_twilio_invalid(void **state)
{
    (void)state;
    struct {
        const char *body;
        const char *field;
    } cases[] = {
        {"From=%2B14155550123&Body=hi", "MessageSid"},
        {"MessageSid=SM1&Body=hi", "From"},
        {"MessageSid=SM1&From=%2B1&NumMedia=11", "NumMedia"},
        {"MessageSid=SM1&From=%2B1&NumMedia=-1", "NumMedia"},
        {"MessageSid=SM1&From=%2B1&NumMedia=1x", "NumMedia"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct form f;
        parse(cases[i].body, &f);
        struct intake_message m;
        json_t *media = NULL;
        const char *field = NULL;
        assert_int_equal(intake_twilio_message(&f, &m, &media, &field), LU_INVALID);
        assert_string_equal(field, cases[i].field);
        assert_null(media);
        intake_form_free(&f);
    }
    struct form f;
    parse("MessageSid=SM1&From=%2B1&SmsStatus=received", &f);
    assert_false(intake_twilio_is_status(&f));
    intake_form_free(&f);
    parse("MessageSid=SM1&From=%2B1&MessageStatus=delivered", &f);
    assert_true(intake_twilio_is_status(&f));
    intake_form_free(&f);
}

/* --- contacts ---------------------------------------------------------------------- */

static void test_phone_normalise(void **state)
{
    (void)state;
    struct {
        const char *in;
        const char *out; /* NULL: refused */
    } cases[] = {
        {"+14155550123", "+14155550123"},
        {"whatsapp:+14155550123", "+14155550123"},
        {"WhatsApp:+39 347 123 4567", "+393471234567"},
        {"+1 (415) 555-0123", "+14155550123"},
        {"0039.347.1234567", "+393471234567"},
        {"sms:+447700900123", "+447700900123"},
        {"4155550123", NULL},        /* no country */
        {"+0123456789", NULL},       /* country code cannot start with 0 */
        {"+1234567", NULL},          /* too short */
        {"+1234567890123456", NULL}, /* 16 digits */
        {"+1415555O123", NULL},      /* a letter O */
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[INTAKE_PHONE_BYTES];
        bool ok = intake_phone_normalise(cases[i].in, out);
        if (cases[i].out == NULL) {
            assert_false(ok);
        } else {
            assert_true(ok);
            assert_string_equal(out, cases[i].out);
        }
    }
}

static void test_email_normalise(void **state)
{
    (void)state;
    struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"Ann.Quinn@Example.COM", "ann.quinn@example.com"},
        {"\"Ann Quinn\" <Ann@Example.com>", "ann@example.com"},
        {"  ann@example.com ", "ann@example.com"},
        {"ann@example", NULL},
        {"@example.com", NULL},
        {"ann@@example.com", NULL},
        {"Ann <ann@example.com", NULL},
        {"a b@example.com", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[INTAKE_EMAIL_BYTES];
        bool ok = intake_email_normalise(cases[i].in, out);
        if (cases[i].out == NULL) {
            assert_false(ok);
        } else {
            assert_true(ok);
            assert_string_equal(out, cases[i].out);
        }
    }
}

/* --- Postmark ------------------------------------------------------------------------ */

/* Postmark's documented inbound shape (developer/webhooks/inbound-webhook),
 * with a header entry of the older malformed form and a field Lucia does
 * not know: both ignored. */
static const char POSTMARK_INBOUND[] =
    "{\"FromName\":\"Ann Quinn\",\"MessageStream\":\"inbound\",\"From\":\"ann@example.com\","
    "\"FromFull\":{\"Email\":\"Ann@Example.com\",\"Name\":\"Ann Quinn\",\"MailboxHash\":\"\"},"
    "\"To\":\"\\\"Villa Aurora\\\" <stay@inbound.lucia.test>\",\"ToFull\":[{\"Email\":"
    "\"stay@inbound.lucia.test\",\"Name\":\"Villa Aurora\",\"MailboxHash\":\"\"}],\"Cc\":\"\","
    "\"CcFull\":[],\"Bcc\":\"\",\"BccFull\":[],\"OriginalRecipient\":\"stay@inbound.lucia.test\","
    "\"Subject\":\"Re: Your stay\",\"MessageID\":\"73e6d360-66eb-11e1-8e72-a8904824019b\","
    "\"ReplyTo\":\"\",\"MailboxHash\":\"\",\"Date\":\"Fri, 1 Aug 2014 16:45:32 -04:00\","
    "\"TextBody\":\"No hot water this morning.\\n\\nOn Thu, Villa Aurora wrote:\\n> Welcome\","
    "\"HtmlBody\":\"<p>No hot water this morning.</p>\",\"StrippedTextReply\":"
    "\"No hot water this morning.\",\"Tag\":\"\",\"Headers\":[{\"Name\":\"X-Spam-Status\","
    "\"Value\":\"No\"},{\"X-Spam-Score\":\"-0.1\"},{\"Name\":\"Message-ID\",\"Value\":"
    "\"<CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG@mail.example.com>\"},{\"Name\":\"In-Reply-To\",\"Value\":"
    "\"<welcome-1@lucia.test>\"},{\"Name\":\"References\",\"Value\":\"<a@x> <welcome-1@lucia.test>"
    "\"}],\"Attachments\":[{\"Name\":\"leak.jpg\",\"Content\":\"/9j/4AAQSkZJRgABAQEAYABgAAD\","
    "\"ContentType\":\"image/jpeg\",\"ContentLength\":4096,\"ContentID\":\"\"}],"
    "\"SomethingNew\":{\"x\":1}}";

static void test_postmark_inbound(void **state)
{
    (void)state;
    json_t *payload = json_loads(POSTMARK_INBOUND, 0, NULL);
    assert_non_null(payload);
    struct intake_message m;
    json_t *attachments = NULL;
    const char *field = NULL;
    assert_int_equal(intake_postmark_message(payload, &m, &attachments, &field), LU_OK);
    assert_string_equal(m.channel, "email");
    assert_string_equal(m.provider_id, "73e6d360-66eb-11e1-8e72-a8904824019b");
    assert_string_equal(m.from_addr, "Ann@Example.com");
    assert_string_equal(m.subject, "Re: Your stay");
    assert_string_equal(m.body, "No hot water this morning."); /* the stripped reply */
    assert_string_equal(m.email_message_id, "<CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG@mail.example.com>");
    assert_string_equal(m.in_reply_to, "<welcome-1@lucia.test>");
    assert_string_equal(m.references, "<a@x> <welcome-1@lucia.test>");
    assert_int_equal(json_array_size(attachments), 1);
    json_t *a = json_array_get(attachments, 0);
    assert_string_equal(json_string_value(json_object_get(a, "name")), "leak.jpg");
    assert_string_equal(json_string_value(json_object_get(a, "content_type")), "image/jpeg");
    assert_int_equal(json_integer_value(json_object_get(a, "size")), 4096);
    assert_null(json_object_get(a, "content")); /* the bytes are never kept */
    assert_int_equal(json_object_size(a), 3);
    json_decref(attachments);
    json_decref(payload);
}

static void test_postmark_invalid(void **state)
{
    (void)state;
    struct {
        const char *json;
        const char *field;
    } cases[] = {
        {"{\"FromFull\":{\"Email\":\"a@b.co\"}}", "MessageID"},
        {"{\"MessageID\":\"\",\"FromFull\":{\"Email\":\"a@b.co\"}}", "MessageID"},
        {"{\"MessageID\":7,\"FromFull\":{\"Email\":\"a@b.co\"}}", "MessageID"},
        {"{\"MessageID\":\"m1\"}", "FromFull"},
        {"[]", "MessageID"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *payload = json_loads(cases[i].json, 0, NULL);
        struct intake_message m;
        json_t *attachments = NULL;
        const char *field = NULL;
        assert_int_equal(intake_postmark_message(payload, &m, &attachments, &field), LU_INVALID);
        assert_string_equal(field, cases[i].field);
        json_decref(payload);
    }
    /* From alone (no FromFull), TextBody when the stripped reply is blank,
     * and an Attachments of the wrong type ignored. */
    json_t *payload = json_loads("{\"MessageID\":\"m2\",\"From\":\"Bo <bo@x.io>\",\"TextBody\":"
                                 "\"hello\",\"StrippedTextReply\":\"  \\n\",\"Attachments\":7}",
                                 0, NULL);
    struct intake_message m;
    json_t *attachments = NULL;
    const char *field = NULL;
    assert_int_equal(intake_postmark_message(payload, &m, &attachments, &field), LU_OK);
    assert_string_equal(m.from_addr, "Bo <bo@x.io>");
    assert_string_equal(m.body, "hello");
    assert_null(attachments);
    json_decref(payload);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_decoding),      cmocka_unit_test(test_form_bounded),
        cmocka_unit_test(test_signature_vectors),  cmocka_unit_test(test_signature_refusals),
        cmocka_unit_test(test_signature_ports),    cmocka_unit_test(test_twilio_channels),
        cmocka_unit_test(test_twilio_invalid),     cmocka_unit_test(test_phone_normalise),
        cmocka_unit_test(test_email_normalise),    cmocka_unit_test(test_postmark_inbound),
        cmocka_unit_test(test_postmark_invalid),
    };
    return cmocka_run_group_tests_name("twilio", tests, NULL, NULL);
}

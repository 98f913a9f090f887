// Package ratelimit shares a provider's send rate among every notifyd worker process
// with a token bucket kept in Redis (CONTRACT §2, NOTIFYD_EMAIL_RATE and
// NOTIFYD_SMS_RATE).
//
// A bucket holds at most burst tokens and gains rate tokens per second; each send
// takes one. Its state is a Redis hash with two fields, the token count and the time
// of the last refill, and it is read and written by one Lua script, so concurrent
// workers never both spend the last token. The hash expires once the bucket would be
// full again anyway, so an idle channel costs nothing.
//
// # Time
//
// By default the script reads Redis's own clock (TIME): every worker then measures
// refills against one clock, and skew between worker hosts cannot mint tokens. With
// WithClock the caller's clock is passed to the script instead; tests use it to move
// time rather than sleep, and it is needed on miniredis, whose TIME does not move by
// itself. Either way a clock that steps backwards, or a worker whose clock lags the
// one that last refilled, refills nothing: elapsed time is never negative, so skew
// can only slow sending down, never exceed the budget.
//
// # Waiting
//
// Take asks once. Wait retries until it gets a token, sleeping for the time Take
// says a token needs (at most a second at a time, plus a little jitter so that
// waiting workers do not all wake at once) — no busy loop. A burst such as a restock
// fan-out therefore drains at the provider's rate. A waiter reserves nothing while it
// sleeps, so a cancelled Wait costs no token; the price is that waiters race for
// each new token, and which one gets it is not first come, first served.
package ratelimit

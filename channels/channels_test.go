package channels_test

import (
	"errors"
	"testing"

	"github.com/notifyd/notifyd/channels"
)

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	if !channels.IsPermanent(channels.Permanent("550", base)) {
		t.Error("Permanent not permanent")
	}
	if channels.IsPermanent(channels.Temporary("451", base)) {
		t.Error("Temporary is permanent")
	}
	if channels.IsPermanent(base) {
		t.Error("an unclassified error must count as temporary")
	}
	wrapped := errors.Join(errors.New("ctx"), channels.Permanent("21211", base))
	if !channels.IsPermanent(wrapped) || !errors.Is(wrapped, base) {
		t.Error("classification lost through wrapping")
	}
	if got := channels.Permanent("550", base).Error(); got != "permanent failure (code 550): boom" {
		t.Errorf("Error() = %q", got)
	}
}

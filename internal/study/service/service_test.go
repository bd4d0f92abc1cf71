package service

import (
	"fmt"
	"testing"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"defaults", Config{MaxAttempts: 3}, "[]"},
		{"messages", Config{MaxAttempts: 3, MessagesURL: "https://campus.example.edu/messages"}, "[]"},
		{"messages not a URL", Config{MaxAttempts: 3, MessagesURL: "campus.example.edu"},
			`[--messages-url "campus.example.edu": want an absolute http(s) URL such as https://messages.example.edu]`},
		{"every problem", Config{MaxAttempts: 0, MessagesURL: "ftp://x"},
			`[--max-attempts 0: want 1 to 10 --messages-url "ftp://x": want an absolute http(s) URL such as https://messages.example.edu]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmt.Sprint(tt.cfg.Validate()); got != tt.want {
				t.Errorf("Validate() = %s, want %s", got, tt.want)
			}
		})
	}
}

"""Hand-written fake Telegram Bot API and Twilio REST servers that the real clients talk to."""

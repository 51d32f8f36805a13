"""Events: rhyme times, stay-and-play, clinics; authored as YAML, with RSVPs and reminders."""

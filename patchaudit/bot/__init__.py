"""The review bot: follow list archives, assemble series, check each once, answer, remember (docs/bot.md)."""

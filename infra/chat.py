"""Talk to the bot as a Telegram user, through the Telegram simulator, from a terminal."""
import argparse
import re
import sys
import threading
from collections import namedtuple
from pathlib import Path

import httpx

from infra.telegram_sim.client import SimClient, SimError

HELP_EPILOG = """controls:
  text            sent as a message (commands like /start included)
  :N              press button N of the latest bot message that has buttons
  :N@ID           press button N of bot message ID
  /photo [text]   send a sample photo, with an optional caption
  /quit, Ctrl-D   leave (Ctrl-C works too)

The simulator must be running (python -m infra.telegram_sim) and the bot must have
registered its webhook with it, e.g. through the local stack."""

BANNER = ("You are chatting with the bot as Telegram user {user_id} ({name}, language {lang}). "
          "Type a message and press Enter to send it; /start works like in Telegram. "
          "Buttons under bot messages are numbered: type :N to press button N of the latest message "
          "with buttons, or :N@ID for message #ID. /photo [caption] sends a sample photo. "
          "Media the bot sends is saved under {media_dir}. /quit, Ctrl-D or Ctrl-C exits.")

LABELS = {
    "ru": {"photo": "Фото", "video": "Видео", "audio": "Аудио", "document": "Документ", "voice": "Голосовое",
           "animation": "Анимация", "video_note": "Видеосообщение", "invoice": "Счёт", "edited": "изменено",
           "deleted": "удалено", "saved": "saved to"},
    "en": {"photo": "Photo", "video": "Video", "audio": "Audio", "document": "Document", "voice": "Voice",
           "animation": "Animation", "video_note": "Video note", "invoice": "Invoice", "edited": "edited",
           "deleted": "deleted", "saved": "saved to"},
}
MEDIA_KINDS = ("photo", "video", "animation", "audio", "document", "voice", "video_note")
# ANSI (start, end) codes per entity type; only used when stdout is a terminal.
STYLES = {"bold": ("\033[1m", "\033[22m"), "italic": ("\033[3m", "\033[23m"),
          "underline": ("\033[4m", "\033[24m"), "strikethrough": ("\033[9m", "\033[29m"),
          "code": ("\033[36m", "\033[39m"), "pre": ("\033[36m", "\033[39m"),
          "spoiler": ("\033[7m", "\033[27m"), "text_link": ("\033[4m", "\033[24m")}

Action = namedtuple("Action", "kind text index message_id", defaults=(None, None, None))
_PRESS_RE = re.compile(r"^:(\d+)(?:@(\d+))?$")


# --- pure helpers (tested) ---------------------------------------------------------

def parse_input(line):
    """Turn one typed line into an Action: text, press, photo, quit or none."""
    line = line.strip()
    if not line:
        return Action("none")
    if line in ("/quit", "/exit"):
        return Action("quit")
    if line == "/photo" or line.startswith("/photo "):
        return Action("photo", text=line[len("/photo"):].strip() or None)
    match = _PRESS_RE.match(line)
    if match:
        return Action("press", index=int(match.group(1)),
                      message_id=int(match.group(2)) if match.group(2) else None)
    return Action("text", text=line)


def render_text(text, entities, ansi=False):
    """Text with entity styling: ANSI codes on a terminal, link URLs in parentheses always."""
    units = text.encode("utf-16-le")  # entity offsets count UTF-16 code units
    opens, closes = {}, {}
    for entity in entities or []:
        start, end = entity["offset"], entity["offset"] + entity["length"]
        style = STYLES.get(entity["type"]) if ansi else None
        if style:
            opens.setdefault(start, []).append(style[0])
            closes.setdefault(end, []).insert(0, style[1])
        if entity["type"] == "text_link":
            closes.setdefault(end, []).append(f" ({entity['url']})")
    out, pos = [], 0
    for cut in sorted(set(opens) | set(closes) | {len(units) // 2}):
        out.append(units[pos * 2:cut * 2].decode("utf-16-le"))
        out.extend(closes.get(cut, []) + opens.get(cut, []))
        pos = cut
    return "".join(out)


def media_of(message):
    """(kind, file_id of the best version) of a media message, else None."""
    for kind in MEDIA_KINDS:
        if kind in message:
            obj = message[kind]
            return kind, (obj[-1] if kind == "photo" else obj)["file_id"]
    return None


def keyboard_lines(message):
    """Inline buttons numbered across rows: '[1] Images  [2] Video'."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    lines, number = [], 0
    for row in rows:
        cells = []
        for button in row:
            number += 1
            suffix = f" ↗ {button['url']}" if "url" in button else ""
            cells.append(f"[{number}] {button.get('text', '')}{suffix}")
        lines.append("  ".join(cells))
    return lines


def format_message(record, lang="ru", ansi=False, saved=None, redraw=False):
    """Lines to print for a bot message record from the simulator."""
    labels = LABELS.get(lang, LABELS["en"])
    message = record["message"]
    if record.get("deleted"):
        return [f"✗ #{record['message_id']} {labels['deleted']}"]
    header = f"── bot #{record['message_id']}"
    if redraw or record.get("edited"):
        header += f" ({labels['edited']})"
    lines = [header]
    if "text" in message:
        lines.extend(render_text(message["text"], message.get("entities"), ansi).splitlines() or [""])
    found = media_of(message)
    if found:
        caption = render_text(message.get("caption", ""), message.get("caption_entities"), ansi)
        line = f"[{labels[found[0]]}] {caption}".rstrip()
        if saved:
            line += f" → {labels['saved']} {saved}"
        lines.append(line)
    if "invoice" in message:
        invoice = message["invoice"]
        lines.append(f"[{labels['invoice']}] {invoice['title']}: {invoice['total_amount']} {invoice['currency']}")
    lines.extend(keyboard_lines(message))
    keyboard = record.get("reply_keyboard") or {}
    if keyboard.get("keyboard"):
        lines.append("⌨ " + " | ".join(b if isinstance(b, str) else b.get("text", "")
                                        for row in keyboard["keyboard"] for b in row))
    return lines


def pick_button(records, index, message_id=None):
    """(message_id, button) for ':N[@ID]' among known bot records; raises ValueError."""
    if message_id is None:
        with_buttons = [r for r in records.values() if not r.get("deleted") and keyboard_lines(r["message"])]
        if not with_buttons:
            raise ValueError("no bot message has buttons")
        record = max(with_buttons, key=lambda r: r["message_id"])
    else:
        record = records.get(message_id)
        if record is None or record.get("deleted"):
            raise ValueError(f"no bot message #{message_id}")
    rows = (record["message"].get("reply_markup") or {}).get("inline_keyboard") or []
    buttons = [button for row in rows for button in row]
    if not 1 <= index <= len(buttons):
        raise ValueError(f"message #{record['message_id']} has {len(buttons)} buttons")
    return record["message_id"], buttons[index - 1]


# --- the interactive session ---------------------------------------------------------

class ChatSession:
    def __init__(self, client, user_id, lang, name, username=None, media_dir=".local/chat_media",
                 ansi=False, out=sys.stdout):
        self.client, self.user_id, self.lang = client, user_id, lang
        self.profile = {"first_name": name, "language_code": lang}
        if username:
            self.profile["username"] = username
        self.media_dir = Path(media_dir)
        self.ansi, self.out = ansi, out
        self.records = {}  # bot message_id -> last record seen
        self.saved = {}  # file_id -> saved path
        self.rev = 0
        self.stop = threading.Event()
        self.reading = False  # True while input() shows its prompt
        self.print_lock = threading.Lock()

    def say(self, lines, prompt=True):
        with self.print_lock:
            # On a terminal, overwrite the pending "> " prompt and show it again below.
            start = "\r" if self.ansi else ""
            again = "> " if prompt and self.ansi and self.reading else ""
            self.out.write(start + "\n".join(lines) + "\n" + again)
            self.out.flush()

    def save_media(self, record):
        found = media_of(record["message"])
        if not found:
            return None
        kind, file_id = found
        if file_id not in self.saved:
            try:
                content, file_path = self.client.file_bytes(file_id)
            except (SimError, httpx.HTTPError) as err:
                return f"(not downloaded: {err})"
            self.media_dir.mkdir(parents=True, exist_ok=True)
            path = self.media_dir / f"{record['message_id']}_{Path(file_path).name or file_id}"
            path.write_bytes(content)
            self.saved[file_id] = str(path)
        return self.saved[file_id]

    def show(self, record):
        redraw = record["message_id"] in self.records
        self.records[record["message_id"]] = record
        saved = None if record.get("deleted") else self.save_media(record)
        self.say(format_message(record, self.lang, self.ansi, saved, redraw))

    def load_history(self, last=5):
        data = self.client.messages(self.user_id)
        self.rev = data["rev"]
        bot_records = [r for r in data["messages"] if r["from_bot"]]
        for record in bot_records:
            self.records[record["message_id"]] = record
        for record in bot_records[-last:]:
            if not record.get("deleted"):
                self.say(format_message(record, self.lang, self.ansi, self.save_media(record)), prompt=False)

    def poll(self):
        """Background thread: long-poll the simulator for new and edited bot messages."""
        warned = False
        while not self.stop.is_set():
            try:
                data = self.client.wait(self.user_id, after_rev=self.rev, timeout=20)
                warned = False
            except (SimError, httpx.HTTPError) as err:
                if not warned:
                    self.say([f"(simulator unreachable: {err}; retrying)"])
                    warned = True
                self.stop.wait(1.0)
                continue
            for record in data["messages"]:
                self.show(record)
            self.rev = max(self.rev, data["rev"])

    def report(self, result):
        status = result.get("webhook_status")
        if status != 200:
            detail = result.get("error") or result.get("skipped") or f"HTTP {status}"
            self.say([f"(the bot's webhook did not accept update {result.get('update_id')}: {detail})"])

    def handle(self, action):
        """Run one Action; returns False when the session should end."""
        if action.kind == "quit":
            return False
        try:
            if action.kind == "text":
                self.report(self.client.send_text(self.user_id, action.text, **self.profile))
            elif action.kind == "photo":
                options = {"caption": action.text} if action.text else {}
                self.report(self.client.send_photo(self.user_id, **options, **self.profile))
            elif action.kind == "press":
                self.press(action.index, action.message_id)
        except SimError as err:
            self.say([f"(simulator refused: {err})"])
        except httpx.HTTPError as err:
            self.say([f"(simulator unreachable: {err})"])
        return True

    def press(self, index, message_id):
        try:
            message_id, button = pick_button(self.records, index, message_id)
        except ValueError as err:
            self.say([f"({err})"])
            return
        if "callback_data" not in button:
            self.say([f"(button [{index}] opens {button.get('url') or button}; nothing is sent to the bot)"])
            return
        self.report(self.client.press(self.user_id, message_id, index=index))

    def run(self, read_line=input):
        self.load_history()
        thread = threading.Thread(target=self.poll, daemon=True, name="chat-poll")
        thread.start()
        try:
            while True:
                self.reading = True
                line = read_line("> " if self.ansi else "")
                self.reading = False
                if not self.handle(parse_input(line)):
                    break
        except (EOFError, KeyboardInterrupt):
            pass
        finally:
            self.stop.set()
        self.say(["bye"], prompt=False)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m infra.chat", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Chat with the AI Studio bot as a Telegram user, through the Telegram simulator: "
                    "bot messages, edits, inline buttons and media are shown in the terminal.",
        epilog=HELP_EPILOG)
    parser.add_argument("--sim", default="http://127.0.0.1:8691", help="simulator base URL (default: %(default)s)")
    parser.add_argument("--user-id", type=int, default=1001, help="your Telegram user id (default: %(default)s)")
    parser.add_argument("--lang", default="ru", help="your language_code (default: %(default)s)")
    parser.add_argument("--name", default="Tester", help="your first_name (default: %(default)s)")
    parser.add_argument("--username", default=None, help="your @username (optional)")
    parser.add_argument("--media-dir", default=".local/chat_media", help="where bot media is saved")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    client = SimClient(args.sim)
    ansi = sys.stdout.isatty()
    session = ChatSession(client, args.user_id, args.lang, args.name, args.username, args.media_dir, ansi)
    print(BANNER.format(user_id=args.user_id, name=args.name, lang=args.lang, media_dir=args.media_dir))
    try:
        if not client.webhook()["webhook"]["url"]:
            print("(the bot has not registered a webhook with the simulator yet: messages will be refused "
                  "until it does)")
    except (SimError, httpx.HTTPError) as err:
        print(f"Cannot reach the Telegram simulator at {args.sim}: {err}", file=sys.stderr)
        return 2
    try:
        import readline  # noqa: F401  (line editing and history for input())
    except ImportError:
        pass
    session.run()
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

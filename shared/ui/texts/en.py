"""What users read, in English (users whose Telegram is English): the keys of ru.py, the same placeholders."""

TEXTS: dict[str, str] = {
    "welcome": (
        "👋 <b>Welcome to AI Studio!</b>\n\n"
        "Create images, video and audio with {count} AI {count:model|models}: Nano Banana, Seedream, Flux 2, Imagen 4, "
        "Veo 3.1, Kling 3.0, Wan, Hailuo, Suno, ElevenLabs and more.\n\n"
        "💰 Balance: <b>{balance}</b>\n"
        "🆓 {free_count} {free_count:model is|models are} free — {limit} {limit:generation|generations} a day each\n\n"
        "You see the price before you run. If a generation fails, the money goes straight back to your balance.\n\n"
        "Choose a section:"
    ),
    "bonus_granted": "🎁 You received a welcome bonus: <b>{amount}</b>.",
    "menu": "Main menu. 💰 Balance: <b>{balance}</b>\n\nChoose a section:",
    "btn_image": "🖼 Images",
    "btn_video": "🎬 Video",
    "btn_audio": "🎧 Audio",
    "btn_tools": "🛠 Tools",
    "btn_free": "🆓 Free",
    "btn_search": "🔎 Search",
    "btn_balance": "💰 Balance",
    "btn_help": "❓ Help",
    "btn_menu": "🏠 Menu",
    "btn_back": "⬅️ Back",
    "btn_prev": "◀️",
    "btn_next": "▶️",
    "btn_start_model": "▶️ Create",
    "btn_cancel": "✖️ Cancel",
    "btn_skip": "⏭ Skip",
    "btn_yes": "Yes",
    "btn_no": "No",
    "btn_confirm": "✅ Run · {price}",
    "btn_confirm_free": "✅ Run for free",
    "btn_done": "✅ Done",
    "btn_repeat": "🔁 Repeat",
    "btn_reprompt": "✏️ Change prompt",
    "chain_up": "⬆️ Upscale (Topaz)",
    "chain_bg": "🪄 Remove background",
    "chain_anim": "🎬 Animate (Kling)",
    "chain_edit": "🍌 Edit (Nano Banana)",
    "chain_vup": "⬆️ Upscale to 720p",
    "cat_image": "🖼 Images",
    "cat_video": "🎬 Video",
    "cat_audio": "🎧 Audio",
    "cat_tools": "🛠 Tools",
    "catalog_header": "<b>{title}</b> · {count} {count:model|models}\n{note} Choose a model:",
    "page": "{page}/{pages}",
    "free_header": "🆓 <b>Free models</b>\nUp to {limit} {limit:generation|generations} a day each. Counters reset at 00:00 Moscow time.\n",
    "free_line": "🆓 <b>{name}</b> — {left} of {limit} left",
    "free_badge": "🆓 {name} · {left}/{limit}",
    "model_button": "{name} · {price}",
    "card": "<b>{name}</b>\n{description}\n\n<b>Inputs:</b>\n{inputs}\n\n<b>Result:</b> {output}\n{price_line}",
    "card_price": "💰 Price: <b>{price}</b> per generation",
    "card_price_exact_later": "The exact price depends on the options; you will see it before running.",
    "price_from": "from {price}",
    "per_second": "{price}/s",
    "per_1000_characters": "{price}/1000 chars",
    "card_free": "🆓 Free, {left} of {limit} left today",
    "card_free_spent": "🆓 No free generations left today (0 of {limit}). Current price: <b>{price}</b>",
    "input_line": "• {label}{detail}",
    "detail_max_len": " (up to {max} {max:character|characters})",
    "detail_values": ": {values}",
    "detail_default": " (default {default})",
    "detail_range": " ({min}–{max})",
    "detail_files": " (up to {max})",
    "detail_optional": ", optional",
    "out_image": "image",
    "out_video": "video",
    "out_audio": "audio",
    "ask_text": "✏️ <b>{label}</b>\nSend the text as a message{limit}.",
    "ask_text_limit": " — up to {max} {max:character|characters}",
    "ask_enum": "<b>{label}</b>\nChoose an option:",
    "ask_boolean": "<b>{label}</b>\nTurn it on?",
    "ask_number": "<b>{label}</b>\nChoose a value or send a number from {min} to {max}.",
    "ask_number_free": "<b>{label}</b>\nSend a whole number.",
    "fixed_line": "🔒 {label}: {value} (always)",
    "ask_media": "📎 <b>{label}</b>\nSend {what}{count}.",
    "ask_media_count": " (up to {max}), then tap “Done”",
    "ask_url": "🔗 <b>{label}</b>\nSend a link starting with {prefix}",
    "ask_task_ref": "🎞 <b>{label}</b>\nThis tool works on the result of another generation — start it from the button under a finished video.",
    "what_image": "a photo",
    "what_audio": "an audio file or a voice message",
    "what_video": "a video",
    "step": "Step {n} of {total}\n\n",
    "confirm": "<b>Check your order</b>\n\nModel: <b>{name}</b>\n{lines}\n\n{price_block}",
    "confirm_line": "{label}: <b>{value}</b>",
    "confirm_price": "💰 Cost: <b>{price}</b>\nBalance after: <b>{after}</b>",
    "confirm_free": "🆓 Free — {left} of {limit} left today",
    "confirm_short": (
        "💰 Cost: <b>{price}</b>\n⚠️ Your balance is <b>{balance}</b> — <b>{missing}</b> short.\n"
        "Top up to run it (see “💰 Balance”)."
    ),
    "option_button": "⚙️ {label}: {value}",
    "value_default": "not set",
    "value_on": "on",
    "value_off": "off",
    "started": (
        "⏳ <b>Generation started</b> · {name}\n"
        "The result will arrive here, usually within {eta}. You can keep using the bot.\n"
        "Request code: <code>{rq}</code>"
    ),
    "status_done": "✅ <b>Done</b> · {name} — the result is below.\nRequest code: <code>{rq}</code>",
    "status_failed": "❌ <b>Failed</b> · {name} — details below.\nRequest code: <code>{rq}</code>",
    "eta_image": "a minute",
    "eta_video": "a few minutes",
    "eta_audio": "a minute",
    "result_caption": "✅ <b>{name}</b> · {price}\nRequest code: <code>{rq}</code>",
    "result_caption_free": "✅ <b>{name}</b> · free\nRequest code: <code>{rq}</code>",
    "result_actions": "What next?",
    "result_original": "📎 The original in full quality",
    "result_too_big": "The file is larger than Telegram lets bots send; download it from the link:",
    "result_not_sent": "The file could not be sent in Telegram; download it from the link:",
    "result_link": "📥 <a href=\"{url}\">Download</a>{size}",
    "result_link_expiry": "The link is valid for 24 hours.",
    "unit_mb": "MB",
    "failed_refunded": (
        "❌ <b>Generation failed</b> · {name}\n{reason}\n\n"
        "💸 {amount} returned to your balance.\n🆘 Error code: <code>{rq}</code>"
    ),
    "failed_free_returned": (
        "❌ <b>Generation failed</b> · {name}\n{reason}\n\n"
        "🆓 Your free try was given back.\n🆘 Error code: <code>{rq}</code>"
    ),
    "insufficient_funds": (
        "💳 <b>Not enough funds</b>\nIt costs <b>{price}</b>, your balance is <b>{balance}</b>. "
        "Nothing was charged.\nTop up in “💰 Balance” and run it again."
    ),
    "free_limit_reached": (
        "🆓 No free generations of this model left today ({limit} of {limit}). Nothing was charged. "
        "The counter resets at 00:00 Moscow time."
    ),
    "reason_PROVIDER_REJECTED": "The generation service rejected the request. Try another prompt or options.",
    "reason_PROVIDER_RATE_LIMITED": "The generation service is overloaded right now. Try again in a minute.",
    "reason_PROVIDER_UNAVAILABLE": "The generation service is temporarily unavailable. Try again later.",
    "reason_GENERATION_FAILED": "The model could not complete the task. Try again or change the prompt.",
    "reason_TIMEOUT": "The generation took too long.",
    "reason_INVALID_INPUT": "The request's options did not suit the model.",
    "reason_INTERNAL": "Internal error. We are looking into it.",
    "reason_DELIVERY_FAILED": "The result was ready, but it could not be sent to this chat after several attempts.",
    "already_running": "This order is already running.",
    "not_started": "⚠️ The generation could not be started. Nothing was charged; please try again.\n🆘 Error code: <code>{rq}</code>",
    "stale": "This form is out of date. Open the model again.",
    "cancelled": "Cancelled. Nothing was charged.",
    "btn_topup": "💳 Top up",
    "btn_ledger": "📜 All operations",
    "btn_history": "🖼 My generations",
    "btn_referral": "👥 Invite friends",
    "btn_custom_amount": "✏️ Other amount",
    "btn_share": "📤 Share the link",
    "btn_yes_run": "✅ Yes, run · {price}",
    "topup": (
        "💳 <b>Top up your balance</b>\nPay with Telegram Stars ⭐ right in Telegram.\n"
        "Balance: <b>{balance}</b>\n\nChoose an amount or enter your own (₽{min}–{max}):"
    ),
    "topup_pack": "₽{rub} · {stars} ⭐",
    "topup_custom_prompt": "✏️ Send the amount in roubles, from {min} to {max}. For example: 750",
    "topup_bad_amount": "⚠️ A whole amount from ₽{min} to ₽{max} is needed. For example: 750",
    "invoice_title": "Balance top-up",
    "invoice_description": "₽{rub} to your AI Studio balance, for any model.",
    "invoice_label": "₽{rub} to balance",
    "precheckout_unknown": "This invoice was not found. Open “Top up” and create a new one.",
    "precheckout_stale": "This invoice has expired. Open “Top up” and create a new one.",
    "precheckout_paid": "This invoice is already paid.",
    "precheckout_mismatch": "The invoice amount does not match. Create a new invoice.",
    "topup_done": "✅ <b>Balance topped up by {amount}</b>\nBalance: <b>{balance}</b>\nPayment code: <code>{charge}</code>",
    "balance": "💰 <b>Balance: {balance}</b>\n\n{history}",
    "ledger_header": "📜 <b>Balance operations</b> · {count} in total\nNewest first.\n\n{lines}",
    "ledger_empty": "📜 <b>Balance operations</b>\n\nNo operations yet.",
    "ledger_charge": "{date} · generation {model} · <code>{rq}</code> · <b>{amount}</b>",
    "ledger_refund": "{date} · refund for {model} ({reason}) · <code>{rq}</code> · <b>{amount}</b>",
    "ledger_other": "{date} · {kind} · <b>{amount}</b>",
    "kind_referral": "👥 referral income",
    "kind_payment_refund": "↩️ Stars payment refund",
    "history_header": "🖼 <b>My generations</b> · {count} in total\nTap a number to get the result again — free.\n\n{lines}",
    "history_empty": "🖼 <b>My generations</b>\n\nNothing yet. Start with the free models: /start",
    "history_line": "{n}. {icon} {date} · <b>{model}</b> · {prompt}{price}",
    "history_free": "free",
    "history_resend_missing": "The file of this generation is no longer available. You can repeat it 🔁.",
    "state_succeeded": "✅",
    "state_refunded": "↩️",
    "state_failed": "⛔",
    "state_running": "⏳",
    "referral": (
        "👥 <b>Invite friends</b>\n\n"
        "A friend gets <b>{welcome}</b> on their first start, and you get <b>{percent}%</b> of each of their top-ups.\n\n"
        "Your link:\n<code>{link}</code>\n\n"
        "Invited: <b>{count}</b>\nIncome: <b>{income}</b>"
    ),
    "referral_share_text": "I make images, video and music with AI in AI Studio — try it, you get a {welcome} bonus:",
    "referral_welcome": "🎁 You were invited to AI Studio: <b>{amount}</b> added to your balance.",
    "expensive": "⚠️ <b>Expensive generation</b>\n{name}: <b>{price}</b>. Run it?",
    "low_balance": "💡 Your balance is down to <b>{balance}</b>. Top up: /balance",
    "paysupport": (
        "🆘 <b>Payment support</b>\n\nIf you paid and your balance did not grow, or you need a Stars refund, "
        "write to us with the payment code from the payment message. Failed generations are refunded to your "
        "balance automatically. We answer within 24 hours."
    ),
    "terms": (
        "📄 <b>Terms</b>\n\n1. The balance is topped up in roubles with Telegram Stars and spent on generations at the "
        "price shown before each run.\n2. If a generation fails, its cost goes back to your balance automatically.\n"
        "3. Unspent balance can be refunded via /paysupport within 30 days of payment.\n"
        "4. Illegal content is forbidden; access may be restricted for violations.\n"
        "5. Results are kept for a limited time — save them."
    ),
    "cmd_start": "Main menu",
    "cmd_balance": "Balance and top-up",
    "cmd_history": "My generations",
    "cmd_ref": "Invite friends",
    "cmd_help": "Help",
    "cmd_paysupport": "Payment support",
    "cmd_terms": "Terms",
    "balance_empty": "No operations yet.",
    "balance_history": "<b>Recent operations:</b>\n{lines}",
    "kind_bonus": "🎁 bonus",
    "kind_topup": "💳 top-up",
    "kind_charge": "🖼 generation",
    "kind_refund": "💸 refund",
    "kind_adjust": "🛠 adjustment",
    "help": (
        "❓ <b>How AI Studio works</b>\n\n"
        "1. Choose a section and a model — its card shows the inputs and the price.\n"
        "2. Tap “▶️ Create” and answer: text as a message, options with buttons.\n"
        "3. Check your order: the price and your balance after are shown before running. Change any option.\n"
        "4. The result arrives in this chat.\n\n"
        "🆓 <b>Free:</b> {free_count} {free_count:model|models}, {limit} {limit:generation|generations} a day each (reset at 00:00 Moscow time).\n"
        "💸 <b>Refunds:</b> if a generation fails, the money or the free try comes back automatically.\n"
        "🆘 <b>Support:</b> if something goes wrong, send us the error code like <code>RQ-1a2b3c4d</code>.\n\n"
        "Commands: /start — menu, /balance — balance and top-up, /history — my generations, /ref — invite friends, "
        "/paysupport — payment support, /terms — terms, /help — help."
    ),
    "search_prompt": "🔎 Type a model name, e.g. <i>Kling</i>, <i>Flux</i> or <i>video</i>.",
    "search_results": "🔎 Results for “{query}”: {count}",
    "search_none": "🔎 Nothing found for “{query}”. Try another name or open the catalog.",
    "unknown": "I did not understand that. Open the menu: /start",
    "maintenance": "🛠 We are updating AI Studio and will be back soon. New generations cannot start right now; running ones will finish and arrive here.",
    "banned": "Your access to the bot is restricted. If this is a mistake, contact support.",
    "error_generic": "⚠️ Something went wrong. Please try again.\n🆘 Error code: <code>{rq}</code>",
    "not_media_step": "Please send {what} now, or tap “Cancel”.",
    "media_received": "📎 Files received: {count} of {max}. Send more or tap “Done”.",
    "bad_value": "⚠️ {problem}\nPlease try again.",
    "problem_empty": "The text cannot be empty.",
    "problem_too_long": "The text is too long: {length} {length:character|characters}, the limit is {max}.",
    "problem_too_short": "The text is too short: at least {min} {min:character|characters}.",
    "problem_not_in_list": "No such option. Available: {values}.",
    "problem_not_a_number": "A number is needed.",
    "problem_not_integer": "A whole number is needed.",
    "problem_out_of_range": "The number must be from {min} to {max}.",
    "problem_required": "The required field “{label}” is empty.",
    "problem_bad_link": "The link must start with {prefix}",
    "problem_want_image": "A photo (or an image file) is needed here.",
    "problem_want_audio": "An audio file or a voice message is needed here.",
    "problem_want_video": "A video is needed here.",
    "problem_wrong_format": "This format does not fit. Allowed: {formats}.",
    "problem_too_big_for_telegram": "The file is {size} MB — Telegram does not let bots download files over {max} MB. Compress it or send a shorter one.",
    "problem_too_big": "The file is {size} MB; this model takes up to {max} MB.",
    "problem_too_long_media": "The recording is {seconds} s; the limit is {max} s. Trim it and send it again.",
    "problem_too_many_files": "No more than {max} {max:file|files}.",
    "problem_files_not_wanted": "This mode takes no photos. Choose another mode, or start again without photos.",
    "problem_too_few_files": "At least {min} {min:file is|files are} needed.",
    "problem_upload_failed": "The file could not be uploaded. Please send it again.",
    "problem_forbidden_combo": "The model does not support this combination ({combo}). Change one of them.",
    "problem_default": "This value does not fit.",
    # Measured media inputs and confirm buttons bound to their quote
    "problem_unreadable": "The file could not be read: it is damaged or in a format we do not know. Send another one.",
    "problem_fetch_failed": "The file could not be fetched. Please try again.",
    "problem_too_many_pixels": "The picture is too large: {megapixels} MP; the limit is {max} MP.",
    "quote_price_changed": ("⚠️ The order changed after this button was shown: the price is now <b>{now}</b> "
                            "(was {was}). Nothing was charged — check it and run again."),
    "quote_order_changed": ("⚠️ The order changed after this button was shown. "
                            "Nothing was charged — check it and run again."),
    "quote_free": "free",
    # Payments, refunds and the rate limit
    "rate_limited": "⏳ Too many messages in a row. Please wait a minute and try again.",
    "payment_refunded": ("↩️ Payment <code>{charge}</code> was refunded in Telegram Stars: {amount} was taken off "
                         "your balance.\nBalance: <b>{balance}</b>"),
    "kind_referral_reversal": "👥 referral income reversed",
    "kind_payment_refund_revert": "↩️ Stars refund undone",
    # Jobs that end without a result, task ids typed into the wizard
    "reason_PROVIDER_ACCESS": "We have a technical problem with the generation service and are fixing it. Please try again later.",
    "not_started_maintenance": (
        "🛠 The generation was not started: we are updating AI Studio. Nothing was charged; start it again a bit later.\n"
        "Request code: <code>{rq}</code>"
    ),
    "not_started_disabled": (
        "⛔ The generation was not started: the model {name} is switched off right now. Nothing was charged.\n"
        "Request code: <code>{rq}</code>"
    ),
    "task_ref_not_yours": (
        "⚠️ There is no such video among your finished generations. Only your own video can be upscaled: "
        "open it in /history and tap the upscale button under it. Nothing was charged."
    ),
    # --- language, plurals, numbers, option values (wt-lang) ---
    "btn_language": "🌐 Language / Язык",
    "language_ask": "🌐 Choose the bot's language. Every message will use it, results included.",
    "btn_lang_ru": "🇷🇺 Русский",
    "btn_lang_en": "🇬🇧 English",
    "price_note": "Prices are per generation.",
    "price_note_second": "“/s” is the price per second of duration.",
    "price_note_1000_characters": "“/1000 chars” is the price per 1000 characters of text.",
    "card_price_unit": "💰 Price: <b>{price}</b>",
    "card_price_defaults": "💰 Price: <b>{price}</b> per generation with the default options (from {lowest} with others)",
    "model_off": "⛔ The model <b>{name}</b> is switched off for now. Choose another: the catalog has similar ones.",
    # --- model health and honest waiting (wt-sync) ---
    "health_good": "🟢 running smoothly",
    "health_fair": "🟡 some failures lately",
    "health_poor": "🔴 failing often right now",
    "health_typical": "usually ~{time}",
    "health_alternative": "A similar model is running smoothly: {name}",
    "btn_health_alternative": "➡️ {name}",
    "eta_typical": "about {time}",
    "dur_s": "{s} s",
    "dur_m": "{m} min",
    "dur_ms": "{m} min {s} s",
    "waiting": (
        "⏳ <b>Generating</b> · {name}\n"
        "{elapsed} so far; this model usually takes ~{typical}. The result will come here.\n"
        "Request code: <code>{rq}</code>"
    ),
    "waiting_no_eta": (
        "⏳ <b>Generating</b> · {name}\n"
        "{elapsed} so far. The result will come here.\n"
        "Request code: <code>{rq}</code>"
    ),
    "waiting_longer": "Longer than usual, but we are waiting; if no result comes, your money comes back.",

    # wt-talk: typed input, parked drafts, free text and files with no order, RQ codes, support
    "parked": "📝 Unfinished order: <b>{name}</b>. Continue or cancel?",
    "btn_resume": "▶️ Continue the order",
    "btn_drop": "✖️ Cancel",
    "nothing_to_cancel": "Nothing to cancel: there is no open order. Menu: /start",
    "use_buttons": "Choose an option with the buttons below.",
    "too_short_prompt": "“{text}” is too short for a description. Describe what to create, e.g. “a cat in a hat, watercolor”. Cancel the order: /cancel",
    "late_input": "This message was sent before the current order was opened, so I skipped it. Send it again if it is for this order.",
    "order_waiting": "Your order <b>{name}</b> is waiting to run.",
    "btn_run_order": "▶️ Run the order · {price}",
    "support_contact": "\nSupport: {contact}",
    "btn_support": "📩 Support",
    "btn_support_write": "📩 Write to support",
    "support_ask": "📩 Write your question in one message (text or a photo); the answer comes here.{contact}\nCancel: /cancel",
    "support_sent": "✅ Your message was passed to support. The answer will come to this chat.",
    "support_not_sent": "⚠️ The message could not be passed on right now. Please try again a little later.",
    "support_answer": "📩 <b>Support's answer</b>\n\n{text}",
    "banned_support": "Access to the bot is restricted. If this is a mistake, write to support.{contact}",
    "rq_unknown": "Code <code>{rq}</code> is not among your generations. Check the code or write to support.",
    "rq_status": "🔎 <code>{rq}</code> · {name}\n{state}\nPrice: {price}",
    "rq_state_succeeded": "✅ Done, the result was sent.",
    "rq_state_refunded": "↩️ Failed, the money was returned.",
    "rq_state_failed": "⛔ Not started, nothing was charged.",
    "rq_state_running": "⏳ Running: the result will come here.",
    "btn_rq_support": "📩 Send to support",
    "btn_rq_again": "📤 Send the result again",
    "from_text": "✨ Create from this text?\n<i>{text}</i>\n\nChoose a model: the text becomes the prompt. Looking for a model? Tap “Search”.",
    "text_model": "✨ {name} · {price}",
    "from_file_image": "🖼 What to do with this photo? Edit it, upscale it, remove the background or animate it: choose a model, the photo comes attached.",
    "from_file_audio": "🎙 What to do with this recording? Choose a model: the recording comes attached.",
    "from_album": "📎 An album with no order. Open a model that takes several photos, tap “Create” and send the album again:",
    "from_file_video": "🎬 What to do with this video? Choose a model: the video comes attached.",
    "file_model": "{name} · {price}",
    "small_talk": "👋 Write what to create (e.g. “a cat in a hat, watercolor”) or a model's name. Menu: /start",
    # wt-results: results as files, captions with the prompt, failures with 🔁/✏️, money never silent
    "result_caption_prompt": "💬 <i>{prompt}</i>",
    "btn_retry": "🔁 Retry",
    "btn_change": "✏️ Change",
    "money_admin_credit": "🛠 An admin credited you <b>+{amount}</b>: {reason}\nBalance: <b>{balance}</b>",
    "money_admin_debit": "🛠 An admin debited <b>{amount}</b> from your balance: {reason}\nBalance: <b>{balance}</b>",
    "money_no_reason": "no reason given",
    "money_stars_refunded": ("↩️ {stars} ⭐ returned for payment <code>{charge}</code>; <b>{amount}</b> was taken "
                             "from your balance.\nBalance: <b>{balance}</b>"),
    "money_referral_income": "👥 <b>+{amount}</b> — a friend you invited topped up.\nBalance: <b>{balance}</b>",
    "money_referral_reversed": ("👥 <b>−{amount}</b> — your invited friend's payment was refunded, so was your "
                                "share.\nBalance: <b>{balance}</b>"),
}

"""Every user-facing text, Russian first, English for users whose Telegram language is English.

Texts are HTML (parse_mode=HTML); values filled in must be escaped by the caller.
Never name the upstream provider here.
"""
from __future__ import annotations

RU: dict[str, str] = {
    "welcome": (
        "👋 <b>Добро пожаловать в AI Studio!</b>\n\n"
        "Создавайте изображения, видео и аудио с помощью {count} нейросетей: Nano Banana, Seedream, Flux 2, "
        "Imagen 4, Kling, Sora 2, Wan, Hailuo, ElevenLabs и других.\n\n"
        "💰 Баланс: <b>{balance}</b>\n"
        "🆓 {free_count} моделей бесплатно — по {limit} генераций в день каждая\n\n"
        "Цена видна до запуска. Если генерация не удалась, деньги сразу возвращаются на баланс.\n\n"
        "Выберите раздел:"
    ),
    "bonus_granted": "🎁 Вам начислен приветственный бонус: <b>{amount}</b>.",
    "menu": "Главное меню. 💰 Баланс: <b>{balance}</b>\n\nВыберите раздел:",
    "btn_image": "🖼 Изображения",
    "btn_video": "🎬 Видео",
    "btn_audio": "🎧 Аудио",
    "btn_tools": "🛠 Инструменты",
    "btn_free": "🆓 Бесплатно",
    "btn_search": "🔎 Поиск",
    "btn_balance": "💰 Баланс",
    "btn_help": "❓ Помощь",
    "btn_menu": "🏠 Меню",
    "btn_back": "⬅️ Назад",
    "btn_prev": "◀️",
    "btn_next": "▶️",
    "btn_start_model": "▶️ Создать",
    "btn_cancel": "✖️ Отмена",
    "btn_skip": "⏭ Пропустить",
    "btn_yes": "Да",
    "btn_no": "Нет",
    "btn_confirm": "✅ Запустить · {price}",
    "btn_confirm_free": "✅ Запустить бесплатно",
    "btn_done": "✅ Готово",
    "btn_repeat": "🔁 Повторить",
    "btn_reprompt": "✏️ Изменить промпт",
    "chain_up": "⬆️ Увеличить (Topaz)",
    "chain_bg": "🪄 Убрать фон",
    "chain_anim": "🎬 Оживить (Kling)",
    "chain_edit": "🍌 Изменить (Nano Banana)",
    "chain_vup": "⬆️ Улучшить до 720p",
    "cat_image": "🖼 Изображения",
    "cat_video": "🎬 Видео",
    "cat_audio": "🎧 Аудио",
    "cat_tools": "🛠 Инструменты",
    "catalog_header": "<b>{title}</b> · {count} моделей\nЦена указана за одну генерацию. Выберите модель:",
    "page": "{page}/{pages}",
    "free_header": (
        "🆓 <b>Бесплатные модели</b>\n"
        "Каждая — до {limit} генераций в день. Счётчики обновляются в 00:00 по Москве.\n"
    ),
    "free_line": "🆓 <b>{name}</b> — осталось {left} из {limit}",
    "free_badge": "🆓 {name} · {left}/{limit}",
    "model_button": "{name} · {price}",
    "card": "<b>{name}</b>\n{description}\n\n<b>Что нужно указать:</b>\n{inputs}\n\n<b>Результат:</b> {output}\n{price_line}",
    "card_price": "💰 Цена: <b>{price}</b> за генерацию",
    "card_price_exact_later": "Точная цена зависит от параметров — она будет на экране подтверждения.",
    "price_from": "от {price}",
    "per_second": "{price}/сек",
    "per_1000_characters": "{price}/1000 симв.",
    "card_free": "🆓 Бесплатно, осталось {left} из {limit} сегодня",
    "card_free_spent": "🆓 Бесплатные генерации на сегодня закончились (0 из {limit}). Сейчас цена: <b>{price}</b>",
    "input_line": "• {label}{detail}",
    "detail_max_len": " (до {max} символов)",
    "detail_values": ": {values}",
    "detail_default": " (по умолчанию {default})",
    "detail_range": " ({min}–{max})",
    "detail_files": " (до {max} шт.)",
    "detail_optional": ", необязательно",
    "out_image": "изображение",
    "out_video": "видео",
    "out_audio": "аудио",
    "ask_text": "✏️ <b>{label}</b>\nНапишите текст сообщением{limit}.",
    "ask_text_limit": " — до {max} символов",
    "ask_enum": "<b>{label}</b>\nВыберите вариант:",
    "ask_boolean": "<b>{label}</b>\nВключить?",
    "ask_number": "<b>{label}</b>\nВыберите значение или отправьте число от {min} до {max}.",
    "ask_number_free": "<b>{label}</b>\nОтправьте целое число.",
    "fixed_line": "🔒 {label}: {value} (всегда)",
    "ask_media": "📎 <b>{label}</b>\nОтправьте {what}{count}.",
    "ask_media_count": " (до {max} шт.), затем нажмите «Готово»",
    "ask_url": "🔗 <b>{label}</b>\nОтправьте ссылку, она должна начинаться с {prefix}",
    "ask_task_ref": "🎞 <b>{label}</b>\nЭтот инструмент работает с результатом другой генерации — запустите его кнопкой под готовым видео.",
    "what_image": "фото",
    "what_audio": "аудиофайл или голосовое сообщение",
    "what_video": "видео",
    "step": "Шаг {n} из {total}\n\n",
    "confirm": "<b>Проверьте заказ</b>\n\nМодель: <b>{name}</b>\n{lines}\n\n{price_block}",
    "confirm_line": "{label}: <b>{value}</b>",
    "confirm_price": "💰 Стоимость: <b>{price}</b>\nБаланс после: <b>{after}</b>",
    "confirm_free": "🆓 Бесплатно — осталось {left} из {limit} сегодня",
    "confirm_short": (
        "💰 Стоимость: <b>{price}</b>\n⚠️ На балансе <b>{balance}</b> — не хватает <b>{missing}</b>.\n"
        "Пополните баланс, чтобы запустить (раздел «💰 Баланс»)."
    ),
    "option_button": "⚙️ {label}: {value}",
    "value_default": "по умолчанию",
    "value_on": "вкл",
    "value_off": "выкл",
    "started": (
        "⏳ <b>Генерация запущена</b> · {name}\n"
        "Результат придёт сюда, обычно это занимает {eta}. Можно пользоваться ботом дальше.\n"
        "Код запроса: <code>{rq}</code>"
    ),
    "status_done": "✅ <b>Готово</b> · {name} — результат ниже.\nКод запроса: <code>{rq}</code>",
    "status_failed": "❌ <b>Не удалось</b> · {name} — подробности ниже.\nКод запроса: <code>{rq}</code>",
    "eta_image": "до минуты",
    "eta_video": "несколько минут",
    "eta_audio": "до минуты",
    "result_caption": "✅ <b>{name}</b> · {price}\nКод запроса: <code>{rq}</code>",
    "result_caption_free": "✅ <b>{name}</b> · бесплатно\nКод запроса: <code>{rq}</code>",
    "result_actions": "Что дальше?",
    "result_original": "📎 Оригинал в полном качестве",
    "result_too_big": "Файл больше, чем Telegram разрешает ботам отправлять, — скачайте его по ссылке:",
    "result_not_sent": "Не удалось отправить файл в Telegram — скачайте его по ссылке:",
    "result_link": "📥 <a href=\"{url}\">Скачать</a>{size}",
    "result_link_expiry": "Ссылка действует 24 часа.",
    "unit_mb": "МБ",
    "failed_refunded": (
        "❌ <b>Генерация не удалась</b> · {name}\n{reason}\n\n"
        "💸 {amount} возвращены на баланс.\n🆘 Код ошибки: <code>{rq}</code>"
    ),
    "failed_free_returned": (
        "❌ <b>Генерация не удалась</b> · {name}\n{reason}\n\n"
        "🆓 Бесплатная попытка возвращена.\n🆘 Код ошибки: <code>{rq}</code>"
    ),
    "insufficient_funds": (
        "💳 <b>Недостаточно средств</b>\nНужно <b>{price}</b>, на балансе <b>{balance}</b>. "
        "Ничего не списано.\nПополните баланс в разделе «💰 Баланс» и запустите снова."
    ),
    "free_limit_reached": (
        "🆓 Бесплатные генерации этой модели на сегодня закончились ({limit} из {limit}). "
        "Ничего не списано. Счётчик обновится в 00:00 по Москве."
    ),
    "reason_PROVIDER_REJECTED": "Сервис генерации отклонил запрос. Попробуйте изменить описание или параметры.",
    "reason_PROVIDER_RATE_LIMITED": "Сервис генерации сейчас перегружен. Попробуйте через минуту.",
    "reason_PROVIDER_UNAVAILABLE": "Сервис генерации временно недоступен. Попробуйте позже.",
    "reason_GENERATION_FAILED": "Нейросеть не смогла выполнить задачу. Попробуйте ещё раз или измените описание.",
    "reason_TIMEOUT": "Генерация заняла слишком много времени.",
    "reason_INVALID_INPUT": "Параметры запроса не подошли модели.",
    "reason_INTERNAL": "Внутренняя ошибка. Мы уже разбираемся.",
    "reason_DELIVERY_FAILED": "Результат был готов, но отправить его в этот чат не удалось после нескольких попыток.",
    "already_running": "Этот заказ уже запущен.",
    "not_started": "⚠️ Не удалось запустить генерацию. Ничего не списано, попробуйте ещё раз.\n🆘 Код ошибки: <code>{rq}</code>",
    "stale": "Эта форма устарела. Откройте модель заново.",
    "cancelled": "Отменено. Ничего не списано.",
    "btn_topup": "💳 Пополнить",
    "btn_ledger": "📜 Все операции",
    "btn_history": "🖼 Мои генерации",
    "btn_referral": "👥 Пригласить друзей",
    "btn_custom_amount": "✏️ Другая сумма",
    "btn_share": "📤 Поделиться ссылкой",
    "btn_yes_run": "✅ Да, запустить · {price}",
    "topup": (
        "💳 <b>Пополнение баланса</b>\nОплата через Telegram Stars ⭐ — прямо в Telegram.\n"
        "Баланс: <b>{balance}</b>\n\nВыберите сумму или введите свою ({min}–{max} ₽):"
    ),
    "topup_pack": "{rub} ₽ · {stars} ⭐",
    "topup_custom_prompt": "✏️ Напишите сумму пополнения в рублях, от {min} до {max}. Например: 750",
    "topup_bad_amount": "⚠️ Нужна сумма от {min} до {max} ₽ целым числом. Например: 750",
    "invoice_title": "Пополнение баланса",
    "invoice_description": "{rub} ₽ на баланс AI Studio. Деньги можно тратить на любые модели.",
    "invoice_label": "{rub} ₽ на баланс",
    "precheckout_unknown": "Этот счёт не найден. Откройте «Пополнить» и создайте новый.",
    "precheckout_stale": "Счёт устарел. Откройте «Пополнить» и создайте новый.",
    "precheckout_paid": "Этот счёт уже оплачен.",
    "precheckout_mismatch": "Сумма счёта не совпадает. Создайте новый счёт.",
    "topup_done": "✅ <b>Баланс пополнен на {amount}</b>\nБаланс: <b>{balance}</b>\nКод платежа: <code>{charge}</code>",
    "balance": "💰 <b>Баланс: {balance}</b>\n\n{history}",
    "ledger_header": "📜 <b>Операции по балансу</b> · всего {count}\nНовые сверху.\n\n{lines}",
    "ledger_empty": "📜 <b>Операции по балансу</b>\n\nОпераций пока нет.",
    "ledger_charge": "{date} · генерация {model} · <code>{rq}</code> · <b>{amount}</b>",
    "ledger_refund": "{date} · возврат за {model} ({reason}) · <code>{rq}</code> · <b>{amount}</b>",
    "ledger_other": "{date} · {kind} · <b>{amount}</b>",
    "kind_referral": "👥 доход от приглашённого",
    "kind_payment_refund": "↩️ возврат платежа Stars",
    "history_header": "🖼 <b>Мои генерации</b> · всего {count}\nНажмите на номер, чтобы получить результат ещё раз — бесплатно.\n\n{lines}",
    "history_empty": "🖼 <b>Мои генерации</b>\n\nВы ещё ничего не создавали. Начните с бесплатных моделей: /start",
    "history_line": "{n}. {icon} {date} · <b>{model}</b> · {prompt}{price}",
    "history_free": "бесплатно",
    "history_resend_missing": "Файл этой генерации больше недоступен. Можно повторить её 🔁.",
    "state_succeeded": "✅",
    "state_refunded": "↩️",
    "state_failed": "⛔",
    "state_running": "⏳",
    "referral": (
        "👥 <b>Приглашайте друзей</b>\n\n"
        "Друг получит <b>{welcome}</b> на баланс при первом запуске, а вы — <b>{percent}%</b> от каждого его пополнения.\n\n"
        "Ваша ссылка:\n<code>{link}</code>\n\n"
        "Приглашено: <b>{count}</b>\nДоход: <b>{income}</b>"
    ),
    "referral_share_text": "Генерирую картинки, видео и музыку нейросетями в AI Studio — попробуй, тебе бонус {welcome}:",
    "referral_welcome": "🎁 Вас пригласили в AI Studio: на баланс начислено <b>{amount}</b>.",
    "expensive": "⚠️ <b>Дорогая генерация</b>\n{name}: <b>{price}</b>. Точно запустить?",
    "low_balance": "💡 На балансе осталось <b>{balance}</b>. Пополнить: /balance",
    "paysupport": (
        "🆘 <b>Поддержка по платежам</b>\n\nЕсли оплата прошла, а баланс не пополнился, или нужен возврат Stars, "
        "напишите нам и приложите код платежа из сообщения об оплате. Неудачные генерации возвращаются на баланс "
        "автоматически. Отвечаем в течение 24 часов."
    ),
    "terms": (
        "📄 <b>Условия</b>\n\n1. Баланс пополняется в рублях через Telegram Stars и тратится на генерации по цене, "
        "показанной перед запуском.\n2. Если генерация не удалась, её стоимость автоматически возвращается на баланс.\n"
        "3. Неизрасходованный баланс можно вернуть через /paysupport в течение 30 дней после оплаты.\n"
        "4. Запрещено создавать незаконный контент; при нарушении доступ может быть ограничен.\n"
        "5. Результаты генераций хранятся ограниченное время — сохраняйте их."
    ),
    "refund_usage": "Использование: /refund <код платежа>",
    "refund_done": "↩️ Возврат выполнен: {amount} списаны с баланса пользователя {user}, Stars возвращены.",
    "refund_unknown": "Платёж {charge} не найден.",
    "refund_already": "Этот платёж уже возвращён.",
    "refund_spent": "Возврат невозможен: у пользователя {user} на балансе {balance}, а платёж был на {amount}.",
    "refund_failed": "Telegram отказал в возврате ({error}). Баланс пользователя восстановлен; возврат можно повторить.",
    "cmd_start": "Главное меню",
    "cmd_balance": "Баланс и пополнение",
    "cmd_history": "Мои генерации",
    "cmd_ref": "Пригласить друзей",
    "cmd_help": "Помощь",
    "cmd_paysupport": "Поддержка по платежам",
    "cmd_terms": "Условия",
    "balance_empty": "Операций пока нет.",
    "balance_history": "<b>Последние операции:</b>\n{lines}",
    "kind_bonus": "🎁 бонус",
    "kind_topup": "💳 пополнение",
    "kind_charge": "🖼 генерация",
    "kind_refund": "💸 возврат",
    "kind_adjust": "🛠 корректировка",
    "help": (
        "❓ <b>Как пользоваться AI Studio</b>\n\n"
        "1. Выберите раздел и модель — в карточке видно, что нужно указать и сколько это стоит.\n"
        "2. Нажмите «▶️ Создать» и ответьте на вопросы: текст — сообщением, параметры — кнопками.\n"
        "3. Проверьте заказ: цена и баланс после списания видны до запуска. Любой параметр можно поменять.\n"
        "4. Результат придёт в этот чат.\n\n"
        "🆓 <b>Бесплатно:</b> {free_count} моделей, по {limit} генераций в день каждая (сброс в 00:00 МСК).\n"
        "💸 <b>Возвраты:</b> если генерация не удалась, деньги или бесплатная попытка возвращаются автоматически.\n"
        "🆘 <b>Поддержка:</b> если что-то пошло не так, пришлите код ошибки вида <code>RQ-1a2b3c4d</code>.\n\n"
        "Команды: /start — меню, /balance — баланс и пополнение, /history — мои генерации, /ref — пригласить друзей, "
        "/paysupport — поддержка по платежам, /terms — условия, /help — помощь."
    ),
    "search_prompt": "🔎 Напишите название модели, например: <i>Kling</i>, <i>Flux</i> или <i>видео</i>.",
    "search_results": "🔎 Найдено по запросу «{query}»: {count}",
    "search_none": "🔎 По запросу «{query}» ничего не нашлось. Попробуйте другое название или откройте каталог.",
    "unknown": "Не понял сообщение. Откройте меню: /start",
    "adm_menu": "🛠 <b>Админ-панель</b>\nРежим обслуживания: <b>{maintenance}</b>",
    "adm_on": "включён",
    "adm_off": "выключен",
    "adm_btn_errors": "⚠️ Ошибки генерации",
    "adm_btn_rq": "🔎 Поиск по RQ-коду",
    "adm_btn_user": "👤 Пользователь",
    "adm_btn_stats": "📊 Статистика",
    "adm_btn_models": "🧩 Модели",
    "adm_btn_smoke": "🧪 Smoke test",
    "adm_btn_kie": "💳 Баланс KIE",
    "adm_btn_broadcast": "📣 Рассылка",
    "adm_btn_maint": "🛠 Обслуживание: {state}",
    "adm_btn_log": "📝 Журнал действий",
    "adm_btn_back": "⬅️ Админ-панель",
    "adm_btn_filter": "🔧 Фильтр",
    "adm_btn_csv": "📄 CSV",
    "adm_btn_credit": "➕ Начислить",
    "adm_btn_debit": "➖ Списать",
    "adm_btn_ban": "🚫 Забанить",
    "adm_btn_unban": "✅ Разбанить",
    "adm_btn_today": "Сегодня",
    "adm_btn_7": "7 дней",
    "adm_btn_30": "30 дней",
    "adm_btn_send": "📣 Отправить всем",
    "adm_errors": "⚠️ <b>Ошибки генерации</b> · {count}{filters}\n\n{lines}",
    "adm_errors_none": "⚠️ <b>Ошибки генерации</b>{filters}\n\nОшибок нет.",
    "adm_error_line": "{date} · {user} · {model} · <b>{code}</b> · <code>{rq}</code>\n   {message}",
    "adm_filters": "\nФильтр: {text}",
    "adm_filter_prompt": "Фильтр ошибок одной строкой: <code>user=123 model=z-image from=2026-11-01 to=2026-11-21</code> (любые части; <code>-</code> сбросить)",
    "adm_filter_bad": "Не понял фильтр. Пример: <code>user=123 model=z-image from=2026-11-01 to=2026-11-21</code>",
    "adm_rq_prompt": "Пришлите RQ-код, например <code>RQ-1a2b3c4d</code>",
    "adm_rq_none": "Генерация {rq} не найдена.",
    "adm_rq": "🔎 <b>{rq}</b>\nПользователь: <code>{user}</code>\nМодель: {model}\nСостояние: <b>{state}</b>\nЦена: {price}{free}\nKIE task: <code>{task}</code>\nОшибка: {error}\n\n<b>Параметры:</b>\n<pre>{inputs}</pre>\n<b>История:</b>\n{history}\n\n<b>События:</b>\n{events}\n\n<b>Движение денег:</b>\n{ledger}",
    "adm_user_prompt": "Пришлите id пользователя или @username",
    "adm_user_none": "Пользователь {query} не найден.",
    "adm_user": "👤 <b>{name}</b> <code>{user}</code>{banned}\nЯзык: {language} · с {created}\nБаланс: <b>{balance}</b>\n\n<b>Операции:</b>\n{ledger}\n\n<b>Генерации:</b>\n{jobs}",
    "adm_banned_mark": " · 🚫 забанен",
    "adm_adjust_prompt": "Сумма и причина одной строкой: <code>+100 компенсация</code> или <code>-50 ошибка начисления</code>",
    "adm_adjust_bad": "Нужно: знак, сумма в рублях и причина. Например <code>+100 компенсация</code>",
    "adm_adjust_negative": "Нельзя списать больше, чем на балансе ({balance}).",
    "adm_adjust_done": "Готово: {amount} пользователю {user}. Баланс: {balance}",
    "adm_ban_done": "Пользователь {user}: {state}.",
    "adm_state_banned": "забанен",
    "adm_state_unbanned": "разбанен",
    "adm_stats_title": "📊 <b>Статистика</b> · {period}",
    "adm_models": "🧩 <b>Модели</b> · за 7 дней: успешность и медианное время\n\n{lines}",
    "adm_model_line": "{state} {name} · {rate} · {median} · {count} шт.",
    "adm_smoke_started": "🧪 Smoke test: запускаю {count} бесплатных моделей, за счёт системы. Результаты придут сюда.",
    "adm_smoke_report": "🧪 <b>Smoke test</b>\n{lines}",
    "adm_smoke_line": "{icon} {model} · {seconds} · <code>{rq}</code>{error}",
    "adm_kie": "💳 Баланс KIE: <b>{credits}</b> кредитов (≈ ${usd}). Порог оповещения: {limit}.",
    "adm_kie_error": "Не удалось получить баланс KIE: {error}",
    "adm_broadcast_prompt": "Пришлите текст рассылки (HTML). Его получат все пользователи, кроме заблокированных.",
    "adm_broadcast_preview": "📣 Предпросмотр рассылки ({count} получателей):\n\n{text}",
    "adm_maint_done": "Режим обслуживания {state}.",
    "adm_log": "📝 <b>Журнал действий</b>\n\n{lines}",
    "adm_log_line": "{date} · {admin} · {action} · {target}: {old} → {new}",
    "adm_log_empty": "📝 Журнал пуст.",
    "kie_low": "⚠️ Баланс провайдера генераций: <b>{credits}</b> кредитов (порог {limit}). Пополните его, иначе генерации остановятся.",
    "maintenance": "🛠 Мы обновляем AI Studio и скоро вернёмся. Новые генерации сейчас не запускаются; уже запущенные завершатся и придут сюда.",
    "banned": "Доступ к боту ограничен. Если это ошибка, напишите в поддержку.",
    "error_generic": "⚠️ Что-то пошло не так. Попробуйте ещё раз.\n🆘 Код ошибки: <code>{rq}</code>",
    "not_media_step": "Сейчас нужно отправить {what}. Или нажмите «Отмена».",
    "media_received": "📎 Получено файлов: {count} из {max}. Отправьте ещё или нажмите «Готово».",
    "bad_value": "⚠️ {problem}\nПопробуйте ещё раз.",
    "problem_empty": "Текст не может быть пустым.",
    "problem_too_long": "Слишком длинный текст: {length} символов, а можно до {max}.",
    "problem_too_short": "Слишком короткий текст: нужно не меньше {min} символов.",
    "problem_not_in_list": "Такого варианта нет. Доступно: {values}.",
    "problem_not_a_number": "Нужно число.",
    "problem_not_integer": "Нужно целое число.",
    "problem_out_of_range": "Число должно быть от {min} до {max}.",
    "problem_required": "Не заполнено обязательное поле «{label}».",
    "problem_bad_link": "Ссылка должна начинаться с {prefix}",
    "problem_want_image": "Здесь нужно фото (или картинка файлом).",
    "problem_want_audio": "Здесь нужен аудиофайл или голосовое сообщение.",
    "problem_want_video": "Здесь нужно видео.",
    "problem_wrong_format": "Этот формат не подходит. Можно: {formats}.",
    "problem_too_big_for_telegram": "Файл {size} МБ — Telegram не даёт ботам скачивать файлы больше {max} МБ. Сожмите его или отправьте покороче.",
    "problem_too_big": "Файл {size} МБ, а эта модель принимает до {max} МБ.",
    "problem_too_long_media": "Запись {seconds} сек, а можно до {max} сек. Обрежьте её и отправьте снова.",
    "problem_too_many_files": "Можно не больше {max} файлов.",
    "problem_too_few_files": "Нужно хотя бы {min} файл(а).",
    "problem_upload_failed": "Не удалось загрузить файл. Попробуйте отправить его ещё раз.",
    "problem_forbidden_combo": "Такое сочетание параметров модель не поддерживает ({combo}). Измените один из них.",
    "problem_default": "Значение не подходит.",
    # Measured media inputs and confirm buttons bound to their quote
    "problem_unreadable": "Не удалось прочитать файл: он повреждён или в незнакомом формате. Отправьте другой.",
    "problem_fetch_failed": "Не удалось получить файл. Попробуйте ещё раз.",
    "problem_too_many_pixels": "Картинка слишком большая: {megapixels} Мп, а можно до {max} Мп.",
    "quote_price_changed": ("⚠️ Заказ изменился после того, как была показана эта кнопка: цена теперь <b>{now}</b> "
                            "(была {was}). Ничего не списано — проверьте и запустите снова."),
    "quote_order_changed": ("⚠️ Заказ изменился после того, как была показана эта кнопка. "
                            "Ничего не списано — проверьте и запустите снова."),
    "quote_free": "бесплатно",
    # Admin broadcast (shared/admin/broadcast.py)
    "broadcast_count": "{done} из {total}",
    "broadcast_failed_part": " · ошибок {failed}",
    "broadcast_blocked_part": " · заблокировали {blocked}",
    "broadcast_progress": "📣 Рассылка: {counts}",
    "broadcast_done": "✅ Рассылка завершена: {counts}",
    "broadcast_cancelled": "⛔ Рассылка остановлена: {counts}",
    "broadcast_report": (
        "📣 <b>Рассылка завершена</b> за {took}\n"
        "Обработано пользователей: {total}\n"
        "✅ Доставлено: {sent}\n"
        "⚠️ Ошибок: {failed}\n"
        "🚫 Заблокировали бота: {blocked}\n"
        "⏭ Пропущено (бан): {skipped}"
    ),
    # Payments, refunds and the rate limit (shared/services/payments.py, Handlers._rate_limited)
    "rate_limited": "⏳ Слишком много сообщений подряд. Подождите минуту и попробуйте снова.",
    "payment_refunded": ("↩️ Платёж <code>{charge}</code> возвращён в Telegram Stars: с баланса списано {amount}.\n"
                         "Баланс: <b>{balance}</b>"),
    "refund_pending": ("⏳ Telegram не ответил на возврат платежа <code>{charge}</code>. Если Stars вернулись, возврат "
                       "завершится сам; если нет — через 15 минут сумма вернётся на баланс пользователя, и возврат "
                       "можно будет повторить."),
    "refund_inviter_spent": ("Возврат невозможен: пригласивший пользователь {inviter} уже потратил свою долю {share} "
                             "с этого платежа (на балансе {inviter_balance}), а возврат забирает её обратно. "
                             "Повторите, когда у него будет {share}, или откажите в возврате."),
    "refund_outside": ("↩️ Возврат Stars вне бота: платёж <code>{charge}</code>, пользователь {user}. "
                       "Списано {amount}, баланс {balance}.{inviter}"),
    "refund_outside_inviter": "\nДоля пригласившего {inviter} ({share}) забрана обратно, его баланс {balance}.",
    "kind_referral_reversal": "👥 доход от приглашённого отозван",
    "kind_payment_refund_revert": "↩️ возврат Stars не состоялся",
    # Jobs that end without a result, task ids typed into the wizard, admin alerts (issue 11).
    "reason_PROVIDER_ACCESS": "У нас техническая проблема с сервисом генерации — мы уже её устраняем. Попробуйте позже.",
    "not_started_maintenance": (
        "🛠 Генерация не запущена: мы обновляем AI Studio. Ничего не списано — запустите её снова чуть позже.\n"
        "Код запроса: <code>{rq}</code>"
    ),
    "not_started_disabled": (
        "⛔ Генерация не запущена: модель {name} сейчас отключена. Ничего не списано.\n"
        "Код запроса: <code>{rq}</code>"
    ),
    "task_ref_not_yours": (
        "⚠️ Такого видео нет среди ваших готовых генераций. Улучшить можно только своё видео: "
        "откройте его в /history и нажмите кнопку улучшения под ним. Ничего не списано."
    ),
    "adm_review": "⚠️ <b>Нужна проверка</b> · {count}\n{lines}",
    "adm_review_line": "<code>{rq}</code> · {user} · {model} · {why}",
    "adm_review_more": "…и ещё {count} (поле review в jobs)",
    "adm_review_UNDELIVERED": "результат не доставлен после всех попыток — деньги возвращены",
    "adm_review_SUBMIT_UNCONFIRMED": (
        "задача ушла провайдеру, но ни её id, ни обратный вызов не пришли — деньги возвращены, проверьте "
        "расход у провайдера"
    ),
    "adm_review_MALFORMED": "документ задания не читается — свип его больше не трогает, проверьте в консоли",
    "adm_alert_access": (
        "🚨 <b>KIE отказал нашему ключу</b> (код {code}: {message}). Генерации не запускаются, деньги "
        "возвращаются пользователям. Проверьте ключ, его лимиты и функции в кабинете KIE."
    ),
    # The 2026 models (issue 15): a mode that takes no files (Veo 3.1 from text)
    "problem_files_not_wanted": "В этом режиме фото не нужны. Выберите другой режим или начните заново без фото.",
}

EN: dict[str, str] = {
    "welcome": (
        "👋 <b>Welcome to AI Studio!</b>\n\n"
        "Create images, video and audio with {count} AI models: Nano Banana, Seedream, Flux 2, Imagen 4, "
        "Kling, Sora 2, Wan, Hailuo, ElevenLabs and more.\n\n"
        "💰 Balance: <b>{balance}</b>\n"
        "🆓 {free_count} models are free — {limit} generations a day each\n\n"
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
    "catalog_header": "<b>{title}</b> · {count} models\nPrices are per generation. Choose a model:",
    "page": "{page}/{pages}",
    "free_header": "🆓 <b>Free models</b>\nUp to {limit} generations a day each. Counters reset at 00:00 Moscow time.\n",
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
    "detail_max_len": " (up to {max} characters)",
    "detail_values": ": {values}",
    "detail_default": " (default {default})",
    "detail_range": " ({min}–{max})",
    "detail_files": " (up to {max})",
    "detail_optional": ", optional",
    "out_image": "image",
    "out_video": "video",
    "out_audio": "audio",
    "ask_text": "✏️ <b>{label}</b>\nSend the text as a message{limit}.",
    "ask_text_limit": " — up to {max} characters",
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
    "value_default": "default",
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
        "Balance: <b>{balance}</b>\n\nChoose an amount or enter your own ({min}–{max} ₽):"
    ),
    "topup_pack": "{rub} ₽ · {stars} ⭐",
    "topup_custom_prompt": "✏️ Send the amount in roubles, from {min} to {max}. For example: 750",
    "topup_bad_amount": "⚠️ A whole amount from {min} to {max} ₽ is needed. For example: 750",
    "invoice_title": "Balance top-up",
    "invoice_description": "{rub} ₽ to your AI Studio balance, for any model.",
    "invoice_label": "{rub} ₽ to balance",
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
    "refund_usage": "Usage: /refund <payment code>",
    "refund_done": "↩️ Refunded: {amount} taken off user {user}'s balance, Stars returned.",
    "refund_unknown": "Payment {charge} not found.",
    "refund_already": "This payment was already refunded.",
    "refund_spent": "Cannot refund: user {user} has {balance}, the payment was {amount}.",
    "refund_failed": "Telegram refused the refund ({error}). The user's balance was restored; the refund can be tried again.",
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
        "🆓 <b>Free:</b> {free_count} models, {limit} generations a day each (reset at 00:00 Moscow time).\n"
        "💸 <b>Refunds:</b> if a generation fails, the money or the free try comes back automatically.\n"
        "🆘 <b>Support:</b> if something goes wrong, send us the error code like <code>RQ-1a2b3c4d</code>.\n\n"
        "Commands: /start — menu, /balance — balance and top-up, /history — my generations, /ref — invite friends, "
        "/paysupport — payment support, /terms — terms, /help — help."
    ),
    "search_prompt": "🔎 Type a model name, e.g. <i>Kling</i>, <i>Flux</i> or <i>video</i>.",
    "search_results": "🔎 Results for “{query}”: {count}",
    "search_none": "🔎 Nothing found for “{query}”. Try another name or open the catalog.",
    "unknown": "I did not understand that. Open the menu: /start",
    "kie_low": "⚠️ Generation provider balance: <b>{credits}</b> credits (threshold {limit}). Top it up or generations will stop.",
    "maintenance": "🛠 We are updating AI Studio and will be back soon. New generations cannot start right now; running ones will finish and arrive here.",
    "banned": "Your access to the bot is restricted. If this is a mistake, contact support.",
    "error_generic": "⚠️ Something went wrong. Please try again.\n🆘 Error code: <code>{rq}</code>",
    "not_media_step": "Please send {what} now, or tap “Cancel”.",
    "media_received": "📎 Files received: {count} of {max}. Send more or tap “Done”.",
    "bad_value": "⚠️ {problem}\nPlease try again.",
    "problem_empty": "The text cannot be empty.",
    "problem_too_long": "The text is too long: {length} characters, the limit is {max}.",
    "problem_too_short": "The text is too short: at least {min} characters.",
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
    "problem_too_many_files": "No more than {max} files.",
    "problem_too_few_files": "At least {min} file(s) are needed.",
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
    # Admin broadcast (shared/admin/broadcast.py)
    "broadcast_count": "{done} of {total}",
    "broadcast_failed_part": " · errors {failed}",
    "broadcast_blocked_part": " · blocked the bot {blocked}",
    "broadcast_progress": "📣 Broadcast: {counts}",
    "broadcast_done": "✅ Broadcast finished: {counts}",
    "broadcast_cancelled": "⛔ Broadcast stopped: {counts}",
    "broadcast_report": (
        "📣 <b>Broadcast finished</b> in {took}\n"
        "Users handled: {total}\n"
        "✅ Delivered: {sent}\n"
        "⚠️ Errors: {failed}\n"
        "🚫 Blocked the bot: {blocked}\n"
        "⏭ Skipped (banned): {skipped}"
    ),
    # Payments, refunds and the rate limit (shared/services/payments.py, Handlers._rate_limited)
    "rate_limited": "⏳ Too many messages in a row. Please wait a minute and try again.",
    "payment_refunded": ("↩️ Payment <code>{charge}</code> was refunded in Telegram Stars: {amount} was taken off "
                         "your balance.\nBalance: <b>{balance}</b>"),
    "refund_pending": ("⏳ Telegram did not answer the refund of payment <code>{charge}</code>. If the Stars went back, "
                       "the refund completes by itself; if not, the amount returns to the user's balance within 15 "
                       "minutes and the refund can be tried again."),
    "refund_inviter_spent": ("Cannot refund: the inviting user {inviter} already spent their share {share} of this "
                             "payment (balance {inviter_balance}), and a refund takes it back. Try again when they "
                             "have {share}, or decline the refund."),
    "refund_outside": ("↩️ Stars refunded outside the bot: payment <code>{charge}</code>, user {user}. "
                       "{amount} taken off, balance {balance}.{inviter}"),
    "refund_outside_inviter": "\nThe inviter {inviter}'s share ({share}) was taken back, their balance is {balance}.",
    "kind_referral_reversal": "👥 referral income reversed",
    "kind_payment_refund_revert": "↩️ Stars refund undone",
    # Jobs that end without a result, task ids typed into the wizard (issue 11).
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
    # The 2026 models (issue 15): a mode that takes no files (Veo 3.1 from text)
    "problem_files_not_wanted": "This mode takes no photos. Choose another mode, or start again without photos.",
}

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "prompt": ("Промпт (описание)", "Prompt"),
    "text": ("Текст", "Text"),
    "negative_prompt": ("Чего избегать", "Negative prompt"),
    "aspect_ratio": ("Соотношение сторон", "Aspect ratio"),
    "resolution": ("Разрешение", "Resolution"),
    "quality": ("Качество", "Quality"),
    "duration": ("Длительность, сек", "Duration, s"),
    "duration_seconds": ("Длительность, сек", "Duration, s"),
    "n_frames": ("Длительность, сек", "Duration, s"),
    "sound": ("Звук", "Sound"),
    "generate_audio": ("Звук", "Sound"),
    "fixed_lens": ("Статичная камера", "Static camera"),
    "output_format": ("Формат файла", "File format"),
    "seed": ("Seed (повторяемость)", "Seed"),
    "voice": ("Голос", "Voice"),
    "stability": ("Стабильность голоса", "Stability"),
    "similarity_boost": ("Похожесть голоса", "Similarity"),
    "style": ("Выразительность", "Style"),
    "speed": ("Скорость речи", "Speed"),
    "loop": ("Зациклить", "Loop"),
    "prompt_influence": ("Точность следования описанию", "Prompt influence"),
    "mode": ("Режим", "Mode"),
    "enable_pro": ("Режим качества", "Quality mode"),
    "remove_watermark": ("Убрать водяной знак", "Remove watermark"),
    "cfg_scale": ("Следование промпту (CFG)", "CFG scale"),
    "upscale_factor": ("Увеличение, раз", "Upscale factor"),
    "num_frames": ("Кадров", "Frames"),
    "frames_per_second": ("Кадров в секунду", "Frames per second"),
    "num_inference_steps": ("Шагов генерации", "Inference steps"),
    "guidance_scale": ("Guidance scale", "Guidance scale"),
    "shift": ("Shift", "Shift"),
    "enable_prompt_expansion": ("Улучшить промпт автоматически", "Auto prompt expansion"),
    "image_urls": ("Фото", "Photos"),
    "input_urls": ("Фото-референсы", "Reference photos"),
    "image_input": ("Фото-референсы", "Reference photos"),
    "image_url": ("Фото", "Photo"),
    "image": ("Фото", "Photo"),
    "tail_image_url": ("Последний кадр", "Last frame"),
    "audio_url": ("Аудио", "Audio"),
    "video_url": ("Ссылка на видео Sora", "Sora video link"),
    "video_urls": ("Видео", "Videos"),
    "task_id": ("Исходное видео", "Source video"),
    "nsfw_checker": ("Фильтр недопустимого контента", "Content filter"),
    # The 2026 models (issue 15)
    "model": ("Версия модели", "Model version"),
    "generation_type": ("Режим", "Mode"),
    "enable_translation": ("Перевод описания на английский", "Prompt translated to English"),
    "multi_shots": ("Несколько сцен", "Several shots"),
    "instrumental": ("Без вокала (инструментал)", "Instrumental (no vocals)"),
    "custom_mode": ("Свои слова, стиль и название", "Your own lyrics, style and title"),
    "lyrics": ("Текст песни", "Lyrics"),
    "music_style": ("Стиль музыки", "Music style"),
    "title": ("Название", "Title"),
    "vocal_gender": ("Голос исполнителя", "Singer's voice"),
    "negative_tags": ("Каких стилей избегать", "Styles to avoid"),
}

TEXTS = {"ru": RU, "en": EN}


def t(lang: str, key: str, **values: object) -> str:
    table = TEXTS.get(lang, RU)
    template = table.get(key) or RU[key]
    return template.format(**values) if values else template


def label(lang: str, field_name: str) -> str:
    ru, en = FIELD_LABELS.get(field_name, (field_name, field_name))
    return en if lang == "en" else ru

"""What users read, in Russian (the first language). HTML: values filled in are escaped by the caller."""

TEXTS: dict[str, str] = {
    "welcome": (
        "👋 <b>Добро пожаловать в AI Studio!</b>\n\n"
        "Создавайте изображения, видео и аудио с помощью {count} {count:нейросети|нейросетей|нейросетей}: Nano Banana, Seedream, Flux 2, "
        "Imagen 4, Veo 3.1, Kling 3.0, Wan, Hailuo, Suno, ElevenLabs и других.\n\n"
        "💰 Баланс: <b>{balance}</b>\n"
        "🆓 {free_count} {free_count:модель|модели|моделей} бесплатно — по {limit} {limit:генерации|генерации|генераций} в день каждая\n\n"
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
    "catalog_header": "<b>{title}</b> · {count} {count:модель|модели|моделей}\n{note} Выберите модель:",
    "page": "{page}/{pages}",
    "free_header": (
        "🆓 <b>Бесплатные модели</b>\n"
        "Каждая — до {limit} {limit:генерации|генераций|генераций} в день. Счётчики обновляются в 00:00 по Москве.\n"
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
    "detail_max_len": " (до {max} {max:символа|символов|символов})",
    "detail_values": ": {values}",
    "detail_default": " (по умолчанию {default})",
    "detail_range": " ({min}–{max})",
    "detail_files": " (до {max} шт.)",
    "detail_optional": ", необязательно",
    "out_image": "изображение",
    "out_video": "видео",
    "out_audio": "аудио",
    "ask_text": "✏️ <b>{label}</b>\nНапишите текст сообщением{limit}.",
    "ask_text_limit": " — до {max} {max:символа|символов|символов}",
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
    "value_default": "не задано",
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
        "🆓 <b>Бесплатно:</b> {free_count} {free_count:модель|модели|моделей}, по {limit} {limit:генерации|генерации|генераций} в день каждая (сброс в 00:00 МСК).\n"
        "💸 <b>Возвраты:</b> если генерация не удалась, деньги или бесплатная попытка возвращаются автоматически.\n"
        "🆘 <b>Поддержка:</b> если что-то пошло не так, пришлите код ошибки вида <code>RQ-1a2b3c4d</code>.\n\n"
        "Команды: /start — меню, /balance — баланс и пополнение, /history — мои генерации, /ref — пригласить друзей, "
        "/paysupport — поддержка по платежам, /terms — условия, /help — помощь."
    ),
    "search_prompt": "🔎 Напишите название модели, например: <i>Kling</i>, <i>Flux</i> или <i>видео</i>.",
    "search_results": "🔎 Найдено по запросу «{query}»: {count}",
    "search_none": "🔎 По запросу «{query}» ничего не нашлось. Попробуйте другое название или откройте каталог.",
    "unknown": "Не понял сообщение. Откройте меню: /start",
    "maintenance": "🛠 Мы обновляем AI Studio и скоро вернёмся. Новые генерации сейчас не запускаются; уже запущенные завершатся и придут сюда.",
    "banned": "Доступ к боту ограничен. Если это ошибка, напишите в поддержку.",
    "error_generic": "⚠️ Что-то пошло не так. Попробуйте ещё раз.\n🆘 Код ошибки: <code>{rq}</code>",
    "not_media_step": "Сейчас нужно отправить {what}. Или нажмите «Отмена».",
    "media_received": "📎 Получено файлов: {count} из {max}. Отправьте ещё или нажмите «Готово».",
    "bad_value": "⚠️ {problem}\nПопробуйте ещё раз.",
    "problem_empty": "Текст не может быть пустым.",
    "problem_too_long": "Слишком длинный текст: {length} {length:символ|символа|символов}, а можно до {max}.",
    "problem_too_short": "Слишком короткий текст: нужно не меньше {min} {min:символа|символов|символов}.",
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
    "problem_too_many_files": "Можно не больше {max} {max:файла|файлов|файлов}.",
    "problem_files_not_wanted": "В этом режиме фото не нужны. Выберите другой режим или начните заново без фото.",
    "problem_too_few_files": "Нужно хотя бы {min} {min:файл|файла|файлов}.",
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
    # Payments, refunds and the rate limit
    "rate_limited": "⏳ Слишком много сообщений подряд. Подождите минуту и попробуйте снова.",
    "payment_refunded": ("↩️ Платёж <code>{charge}</code> возвращён в Telegram Stars: с баланса списано {amount}.\n"
                         "Баланс: <b>{balance}</b>"),
    "kind_referral_reversal": "👥 доход от приглашённого отозван",
    "kind_payment_refund_revert": "↩️ возврат Stars не состоялся",
    # Jobs that end without a result, task ids typed into the wizard
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
    # --- language, plurals, numbers, option values (wt-lang) ---
    "btn_language": "🌐 Язык / Language",
    "language_ask": "🌐 Выберите язык бота. Он будет использоваться во всех сообщениях, включая результаты.",
    "btn_lang_ru": "🇷🇺 Русский",
    "btn_lang_en": "🇬🇧 English",
    "price_note": "Цена указана за одну генерацию.",
    "price_note_second": "«/сек» — цена за секунду длительности.",
    "price_note_1000_characters": "«/1000 симв.» — цена за 1000 символов текста.",
    "card_price_unit": "💰 Цена: <b>{price}</b>",
    "card_price_defaults": "💰 Цена: <b>{price}</b> за генерацию с параметрами по умолчанию (с другими — от {lowest})",
    "model_off": "⛔ Модель <b>{name}</b> временно отключена. Выберите другую — в каталоге есть похожие.",
    # --- model health and honest waiting (wt-sync) ---
    "health_good": "🟢 работает стабильно",
    "health_fair": "🟡 бывают сбои",
    "health_poor": "🔴 сейчас много сбоев",
    "health_typical": "обычно ~{time}",
    "health_alternative": "Похожая модель работает без сбоев: {name}",
    "btn_health_alternative": "➡️ {name}",
    "eta_typical": "около {time}",
    "dur_s": "{s} сек",
    "dur_m": "{m} мин",
    "dur_ms": "{m} мин {s} сек",
    "waiting": (
        "⏳ <b>Генерация идёт</b> · {name}\n"
        "Прошло {elapsed}, обычно эта модель отвечает за ~{typical}. Результат придёт сюда.\n"
        "Код запроса: <code>{rq}</code>"
    ),
    "waiting_no_eta": (
        "⏳ <b>Генерация идёт</b> · {name}\n"
        "Прошло {elapsed}. Результат придёт сюда.\n"
        "Код запроса: <code>{rq}</code>"
    ),
    "waiting_longer": "Дольше обычного, но мы ждём; если результата не будет, деньги вернутся.",

    # wt-talk: typed input, parked drafts, free text and files with no order, RQ codes, support
    "parked": "📝 Незаконченный заказ: <b>{name}</b>. Продолжить или отменить?",
    "btn_resume": "▶️ Продолжить заказ",
    "btn_drop": "✖️ Отменить",
    "nothing_to_cancel": "Отменять нечего: открытого заказа нет. Меню: /start",
    "use_buttons": "Выберите вариант кнопкой ниже.",
    "too_short_prompt": "«{text}» — слишком коротко для описания. Опишите, что создать, например: «кот в шляпе, акварель». Отменить заказ: /cancel",
    "late_input": "Это сообщение пришло раньше, чем открыт текущий заказ, — я его пропустил. Пришлите ещё раз, если оно для этого заказа.",
    "order_waiting": "Ваш заказ <b>{name}</b> ждёт запуска.",
    "btn_run_order": "▶️ Запустить заказ · {price}",
    "support_contact": "\nПоддержка: {contact}",
    "btn_support": "📩 Поддержка",
    "btn_support_write": "📩 Написать в поддержку",
    "support_ask": "📩 Напишите ваш вопрос одним сообщением (текст или фото) — ответ придёт сюда.{contact}\nОтменить: /cancel",
    "support_sent": "✅ Сообщение передано в поддержку. Ответ придёт в этот чат.",
    "support_not_sent": "⚠️ Сейчас не удалось передать сообщение. Попробуйте ещё раз чуть позже.",
    "support_answer": "📩 <b>Ответ поддержки</b>\n\n{text}",
    "banned_support": "Доступ к боту ограничен. Если это ошибка, напишите в поддержку.{contact}",
    "rq_unknown": "Код <code>{rq}</code> не найден среди ваших генераций. Проверьте код или напишите в поддержку.",
    "rq_status": "🔎 <code>{rq}</code> · {name}\n{state}\nСтоимость: {price}",
    "rq_state_succeeded": "✅ Готово, результат отправлен.",
    "rq_state_refunded": "↩️ Не удалась, деньги возвращены.",
    "rq_state_failed": "⛔ Не запущена, ничего не списано.",
    "rq_state_running": "⏳ Выполняется — результат придёт сюда.",
    "btn_rq_support": "📩 Отправить в поддержку",
    "btn_rq_again": "📤 Прислать результат снова",
    "from_text": "✨ Создать по этому тексту?\n<i>{text}</i>\n\nВыберите модель — текст станет описанием. Искали модель? Нажмите «Поиск».",
    "text_model": "✨ {name} · {price}",
    "from_file_image": "🖼 Что сделать с этим фото? Отредактировать, увеличить, убрать фон или оживить — выберите модель, фото уже будет прикреплено.",
    "from_file_audio": "🎙 Что сделать с этой записью? Выберите модель — запись уже будет прикреплена.",
    "from_album": "📎 Альбом без заказа. Откройте модель, которая принимает несколько фото, нажмите «Создать» и пришлите альбом ещё раз:",
    "from_file_video": "🎬 Что сделать с этим видео? Выберите модель — видео уже будет прикреплено.",
    "file_model": "{name} · {price}",
    "small_talk": "👋 Напишите, что создать (например: «кот в шляпе, акварель») или название модели. Меню: /start",
    # wt-results: results as files, captions with the prompt, failures with 🔁/✏️, money never silent
    "result_caption_prompt": "💬 <i>{prompt}</i>",
    "btn_retry": "🔁 Повторить",
    "btn_change": "✏️ Изменить",
    "money_admin_credit": "🛠 Администратор начислил вам <b>+{amount}</b>: {reason}\nБаланс: <b>{balance}</b>",
    "money_admin_debit": "🛠 Администратор списал с баланса <b>{amount}</b>: {reason}\nБаланс: <b>{balance}</b>",
    "money_no_reason": "без указания причины",
    "money_stars_refunded": ("↩️ Возвращено {stars} ⭐ за платёж <code>{charge}</code>, с баланса списано <b>{amount}</b>.\n"
                             "Баланс: <b>{balance}</b>"),
    "money_referral_income": "👥 <b>+{amount}</b> — ваш друг пополнил баланс.\nБаланс: <b>{balance}</b>",
    "money_referral_reversed": ("👥 <b>−{amount}</b> — платёж приглашённого друга возвращён, его доля списана.\n"
                                "Баланс: <b>{balance}</b>"),
}

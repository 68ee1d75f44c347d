// Text the screens show, as a key into the app's string table (Android `strings.xml`, iOS
// `Localizable.strings`, the same keys in Korean and English) plus its arguments. View models never
// hold finished sentences, so every sentence exists in both languages and tests can check it.
package org.doorpass.passui

/**
 * A string-table key and the values for its `%1$s`, `%2$s`… placeholders. An argument is either a
 * `String` (digits, names, times: shown as is) or another [UiText] (a word from the table, e.g. the
 * kind of pass). With a [quantity] the key names a plural (Android `<plurals>`), whose form the
 * table picks for that number ("1 day", "2 days").
 */
data class UiText(val key: String, val args: List<Any> = emptyList(), val quantity: Long? = null) {
    constructor(key: String, vararg args: Any) : this(key, args.toList())

    companion object {
        /** The plural [key] for [quantity], with [quantity] as its `%1$s` and [more] after it. */
        fun plural(key: String, quantity: Long, vararg more: Any): UiText =
            UiText(key = key, args = listOf<Any>(quantity.toString()) + more.toList(), quantity = quantity)
    }
}

/** Turns [UiText] into a sentence in the device language (the app's resources; a parsed table in tests). */
fun interface Strings {
    /** The pattern stored under [key] (with `%1$s`-style placeholders). */
    fun pattern(key: String): String

    /** The pattern of the plural [key] for [quantity]; a table with no plurals uses [pattern]. */
    fun pluralPattern(key: String, quantity: Long): String = pattern(key)

    /** The sentence for [text], its nested texts resolved first. */
    fun get(text: UiText): String {
        val pattern = text.quantity?.let { pluralPattern(text.key, it) } ?: pattern(text.key)
        return fill(pattern, text.args.map { if (it is UiText) get(it) else it.toString() })
    }
}

/** `%1$s`-style placeholders (and `%1$d`), and `%%` for a percent sign. */
private val placeholder = Regex("%(?:(\\d+)\\$[sd]|%)")

/**
 * [pattern] with each placeholder replaced by its value, in ONE pass over the pattern: a value that
 * itself contains `%2$s` (a holder's name) is inserted as is, never substituted again. A placeholder
 * with no value stays as written.
 */
fun fill(pattern: String, values: List<String>): String = placeholder.replace(pattern) { match ->
    val index = match.groupValues[1]
    if (index.isEmpty()) "%" else values.getOrNull(index.toInt() - 1) ?: match.value
}

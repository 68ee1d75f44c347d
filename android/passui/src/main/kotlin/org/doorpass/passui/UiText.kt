// Text the screens show, as a key into the app's string table (Android `strings.xml`, iOS
// `Localizable.strings`, the same keys in Korean and English) plus its arguments. View models never
// hold finished sentences, so every sentence exists in both languages and tests can check it.
package org.doorpass.passui

/**
 * A string-table key and the values for its `%1$s`, `%2$s`… placeholders. An argument is either a
 * `String` (digits, names, times: shown as is) or another [UiText] (a word from the table, e.g. the
 * kind of pass).
 */
data class UiText(val key: String, val args: List<Any> = emptyList()) {
    constructor(key: String, vararg args: Any) : this(key, args.toList())
}

/** Turns [UiText] into a sentence in the device language (the app's resources; a parsed table in tests). */
fun interface Strings {
    /** The pattern stored under [key] (with `%1$s`-style placeholders). */
    fun pattern(key: String): String

    /** The sentence for [text], its nested texts resolved first. */
    fun get(text: UiText): String {
        var out = pattern(text.key)
        text.args.forEachIndexed { i, arg ->
            val value = if (arg is UiText) get(arg) else arg.toString()
            out = out.replace("%${i + 1}\$s", value)
        }
        return out
    }
}

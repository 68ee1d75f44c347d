// The view models' text (UiText: a key and its arguments) in the device language: the key is the
// name of a string (or, for a count, of a plurals) in res/values*/strings.xml, looked up at run time.
package org.doorpass.app

import android.annotation.SuppressLint
import android.content.Context
import java.util.concurrent.ConcurrentHashMap
import org.doorpass.passui.Strings

/** [Strings] over the app's string resources, by key name. */
class ResourceStrings(private val context: Context) : Strings {
    private val ids = ConcurrentHashMap<String, Int>()
    private val pluralIds = ConcurrentHashMap<String, Int>()

    /**
     * The pattern stored under [key]. A key missing from the tables (scripts/check-shells.sh checks
     * that none is) shows as itself rather than crashing the screen.
     */
    @SuppressLint("DiscouragedApi") // Lookup by name is the design: the keys come from the view models.
    override fun pattern(key: String): String {
        val id = ids.getOrPut(key) { context.resources.getIdentifier(key, "string", context.packageName) }
        return if (id == 0) key else context.getString(id)
    }

    /**
     * The form of the plural [key] (`<plurals>`) for [quantity] in the device language, unformatted:
     * [Strings.get] fills its placeholders in one pass. A missing key shows as itself.
     */
    @SuppressLint("DiscouragedApi") // As above.
    override fun pluralPattern(key: String, quantity: Long): String {
        val id = pluralIds.getOrPut(key) { context.resources.getIdentifier(key, "plurals", context.packageName) }
        val count = quantity.coerceIn(Int.MIN_VALUE.toLong(), Int.MAX_VALUE.toLong()).toInt()
        return if (id == 0) key else context.resources.getQuantityString(id, count)
    }
}

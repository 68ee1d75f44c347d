// The one activity: a bottom bar with the Pass and Check passes tabs, and QA in debug builds.
package org.doorpass.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.annotation.StringRes
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.AccountBox
import androidx.compose.material.icons.filled.CheckCircle
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import org.doorpass.app.ui.LocalStrings
import org.doorpass.app.ui.PassTab
import org.doorpass.app.ui.VerifyTab

/** Shows the app's tabs. */
class MainActivity : ComponentActivity() {
    /** Sets the tabs as the content, with the string table of the device language. */
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        val app = application as DoorpassApplication
        setContent {
            val context = LocalContext.current
            val strings = remember(context) { ResourceStrings(context) }
            CompositionLocalProvider(LocalStrings provides strings) {
                MaterialTheme {
                    DoorpassTabs(app)
                }
            }
        }
    }
}

/** One tab of the bottom bar. */
class AppTab(
    /** The tab's label. */
    @StringRes val label: Int,
    /** The tab's icon. */
    val icon: ImageVector,
    /** What the tab shows. */
    val content: @Composable () -> Unit,
)

/** The bottom bar and the selected tab. */
@Composable
private fun DoorpassTabs(app: DoorpassApplication) {
    val tabs = remember(app) {
        listOf(
            AppTab(R.string.tab_pass, Icons.Filled.AccountBox) { PassTab(app) },
            AppTab(R.string.tab_verify, Icons.Filled.CheckCircle) { VerifyTab(app) },
        ) + BuildVariant.extraTabs(app)
    }
    var selected by rememberSaveable { mutableIntStateOf(0) }
    Scaffold(
        bottomBar = {
            NavigationBar {
                tabs.forEachIndexed { index, tab ->
                    NavigationBarItem(
                        selected = index == selected,
                        onClick = { selected = index },
                        icon = { Icon(tab.icon, contentDescription = null) },
                        label = { Text(stringResource(tab.label)) },
                    )
                }
            }
        },
    ) { padding ->
        Box(Modifier.fillMaxSize().padding(padding)) {
            tabs[selected.coerceIn(tabs.indices)].content()
        }
    }
}

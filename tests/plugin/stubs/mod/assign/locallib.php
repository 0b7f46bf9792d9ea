<?php
// The plugin's external classes require mod/assign/locallib.php; its contents are not needed here.

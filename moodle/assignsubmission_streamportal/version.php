<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify it under the terms of the
// GNU General Public License as published by the Free Software Foundation, either version 3
// of the License, or (at your option) any later version.

/**
 * Version details.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$plugin->component = 'assignsubmission_streamportal';
$plugin->version   = 2026120301;          // services.php: mod_assign_get_submission_status.
$plugin->requires  = 2022112800;          // Moodle 4.1 LTS.
$plugin->supported = [401, 405];          // 4.1 LTS to 4.5 LTS.
$plugin->maturity  = MATURITY_BETA;
$plugin->release   = '0.3.1';
